#include "uniadapter/api.h"
#include "uniadapter/config.h"
#include "uniadapter/retrieval_model.h"

namespace ua {

std::unique_ptr<Model> create_model(const Options& options) {
  TaskConfig c = task_config_from_options(options);
  if (c.task == "retrieval") return std::make_unique<RetrievalModel>(c);
  fail(kErrConfig, "task '" + c.task + "' is not available");
}

}  // namespace ua
