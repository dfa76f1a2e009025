#include "uniadapter/runtime/api.h"
#include "uniadapter/tasks/caption_model.h"
#include "uniadapter/runtime/config.h"
#include "uniadapter/tasks/pretrain_model.h"
#include "uniadapter/tasks/retrieval_model.h"
#include "uniadapter/tasks/vqa_model.h"

namespace ua {

std::unique_ptr<Model> create_model(const Options& options) {
  TaskConfig c = task_config_from_options(options);
  if (c.task == "retrieval") return std::make_unique<RetrievalModel>(c);
  if (c.task == "pretrain") return std::make_unique<PretrainModel>(c);
  if (c.task == "vqa") return std::make_unique<VqaModel>(c);
  return std::make_unique<CaptionModel>(c);
}

}  // namespace ua
