#include "uniadapter/tasks/generation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "uniadapter/runtime/error.h"

namespace ua {
namespace {

torch::Tensor apply_processors(const torch::Tensor& input_ids, torch::Tensor scores, const GenerationSettings& s) {
  if (s.repetition_penalty != 1.0) {
    torch::Tensor prev = torch::gather(scores, 1, input_ids);
    prev = torch::where(prev < 0, prev * s.repetition_penalty, prev / s.repetition_penalty);
    scores = scores.scatter(1, input_ids, prev);
  }
  if (input_ids.size(1) < s.min_length) {
    scores = scores.clone();
    scores.select(1, s.eos_token_id).fill_(-std::numeric_limits<float>::infinity());
  }
  return scores;
}

// transformers' BeamHypotheses, scores in double as Python floats.
struct Hypotheses {
  int64_t num_beams;
  double length_penalty;
  bool early_stopping;
  std::vector<std::pair<double, torch::Tensor>> beams;
  double worst = 1e9;

  void add(const torch::Tensor& hyp, double sum_logprobs) {
    const double score = sum_logprobs / std::pow(static_cast<double>(hyp.size(0)), length_penalty);
    if (static_cast<int64_t>(beams.size()) < num_beams || score > worst) {
      beams.emplace_back(score, hyp);
      if (static_cast<int64_t>(beams.size()) > num_beams) {
        std::vector<std::pair<double, size_t>> sorted;
        for (size_t i = 0; i < beams.size(); ++i) sorted.emplace_back(beams[i].first, i);
        std::sort(sorted.begin(), sorted.end());
        beams.erase(beams.begin() + static_cast<long>(sorted[0].second));
        worst = sorted[1].first;
      } else {
        worst = std::min(score, worst);
      }
    }
  }

  bool is_done(double best_sum_logprobs, int64_t cur_len) const {
    if (static_cast<int64_t>(beams.size()) < num_beams) return false;
    if (early_stopping) return true;
    const double cur_score = best_sum_logprobs / std::pow(static_cast<double>(cur_len), length_penalty);
    return worst >= cur_score;
  }
};

}  // namespace

torch::Tensor generation_attention_mask(const torch::Tensor& input_ids, const GenerationSettings& s) {
  const bool pad_in_inputs = (input_ids == s.pad_token_id).any().item<bool>();
  if (pad_in_inputs && s.pad_token_id != s.eos_token_id) return input_ids.ne(s.pad_token_id).to(at::kLong);
  return torch::ones_like(input_ids);
}

GenerationOutput greedy_search(const DecoderStepFn& step, const torch::Tensor& input_ids_in, const GenerationSettings& s,
                               bool capture) {
  check(s.max_length > input_ids_in.size(1), kErrArg, "max_length must be longer than the prompt");
  torch::Tensor input_ids = input_ids_in;
  torch::Tensor mask = generation_attention_mask(input_ids, s);
  const int64_t N = input_ids.size(0);
  torch::Tensor unfinished = torch::ones({N}, input_ids.options());
  std::vector<torch::Tensor> logits_log, unfinished_log;
  torch::Tensor new_ids = input_ids;
  for (;;) {
    torch::Tensor logits = step(new_ids, mask).to(at::kFloat);
    if (capture) {
      logits_log.push_back(logits.unsqueeze(1));
      unfinished_log.push_back(unfinished.unsqueeze(1).clone());
    }
    torch::Tensor scores = apply_processors(input_ids, logits, s);
    torch::Tensor next = scores.argmax(-1);
    next = next * unfinished + s.pad_token_id * (1 - unfinished);
    input_ids = torch::cat({input_ids, next.unsqueeze(1)}, 1);
    mask = torch::cat({mask, torch::ones({N, 1}, mask.options())}, 1);
    new_ids = next.unsqueeze(1);
    unfinished = unfinished.mul((next != s.eos_token_id).to(unfinished.dtype()));
    if (unfinished.max().item<int64_t>() == 0 || input_ids.size(1) >= s.max_length) break;
  }
  GenerationOutput out;
  out.sequences = input_ids;
  if (capture) {
    out.step_logits = torch::cat(logits_log, 1);
    out.unfinished = torch::cat(unfinished_log, 1);
  }
  return out;
}

GenerationOutput beam_search(const DecoderStepFn& step, const ReorderFn& reorder, const torch::Tensor& input_ids_in,
                             const GenerationSettings& s) {
  const int64_t K = s.num_beams;
  check(K >= 1 && input_ids_in.size(0) % K == 0, kErrArg, "beam search input rows must be items x num_beams");
  check(s.max_length > input_ids_in.size(1), kErrArg, "max_length must be longer than the prompt");
  const int64_t N = input_ids_in.size(0) / K;
  torch::Tensor input_ids = input_ids_in;
  torch::Tensor mask = generation_attention_mask(input_ids, s);
  std::vector<Hypotheses> hyps(N, Hypotheses{K, s.length_penalty, s.early_stopping, {}, 1e9});
  std::vector<bool> done(N, false);
  torch::Tensor beam_scores = torch::zeros({N, K}, torch::TensorOptions().dtype(at::kFloat).device(input_ids.device()));
  beam_scores.slice(1, 1).fill_(-1e9);
  beam_scores = beam_scores.view({N * K});
  torch::Tensor new_ids = input_ids;
  for (;;) {
    const int64_t cur_len = input_ids.size(1);
    torch::Tensor logits = step(new_ids, mask).to(at::kFloat);
    torch::Tensor scores = torch::log_softmax(logits, -1);
    scores = apply_processors(input_ids, scores, s);
    scores = scores + beam_scores.unsqueeze(1).expand_as(scores);
    const int64_t V = scores.size(1);
    scores = scores.view({N, K * V});
    auto top = torch::topk(scores, 2 * K, 1, true, true);
    torch::Tensor top_scores = std::get<0>(top).cpu(), top_idx = std::get<1>(top).cpu();
    torch::Tensor next_beam = top_idx.div(V, "floor"), next_tok = top_idx.remainder(V);
    torch::Tensor ids_cpu = input_ids.cpu();
    std::vector<float> nb_scores(N * K, 0.f);
    std::vector<int64_t> nb_tokens(N * K, 0), nb_rows(N * K, 0);
    auto ts = top_scores.accessor<float, 2>();
    auto tb = next_beam.accessor<int64_t, 2>();
    auto tt = next_tok.accessor<int64_t, 2>();
    for (int64_t b = 0; b < N; ++b) {
      if (done[b]) {
        for (int64_t j = 0; j < K; ++j) {
          nb_scores[b * K + j] = 0.f;
          nb_tokens[b * K + j] = s.pad_token_id;
          nb_rows[b * K + j] = 0;
        }
        continue;
      }
      int64_t beam_idx = 0;
      for (int64_t rank = 0; rank < 2 * K; ++rank) {
        const int64_t row = b * K + tb[b][rank];
        const int64_t token = tt[b][rank];
        const float score = ts[b][rank];
        if (token == s.eos_token_id) {
          if (rank >= K) continue;
          hyps[b].add(ids_cpu[row].clone(), static_cast<double>(score));
        } else {
          nb_scores[b * K + beam_idx] = score;
          nb_tokens[b * K + beam_idx] = token;
          nb_rows[b * K + beam_idx] = row;
          ++beam_idx;
        }
        if (beam_idx == K) break;
      }
      check(beam_idx == K, kErrState, "beam search could not fill the beams (too few non-EOS candidates)");
      done[b] = done[b] || hyps[b].is_done(static_cast<double>(ts[b][0]), cur_len);
    }
    auto dev = input_ids.device();
    beam_scores = torch::tensor(nb_scores, at::kFloat).to(dev);
    torch::Tensor tokens = torch::tensor(nb_tokens, at::kLong).to(dev);
    torch::Tensor rows = torch::tensor(nb_rows, at::kLong).to(dev);
    input_ids = torch::cat({input_ids.index_select(0, rows), tokens.unsqueeze(1)}, 1);
    mask = torch::cat({mask, torch::ones({N * K, 1}, mask.options())}, 1);
    reorder(rows);
    new_ids = tokens.unsqueeze(1);
    const bool all_done = std::all_of(done.begin(), done.end(), [](bool d) { return d; });
    if (all_done || input_ids.size(1) >= s.max_length) break;
  }
  // Finalise: open beams of unfinished items become hypotheses.
  torch::Tensor ids_cpu = input_ids.cpu();
  torch::Tensor final_scores = beam_scores.cpu();
  for (int64_t b = 0; b < N; ++b) {
    if (done[b]) continue;
    for (int64_t j = 0; j < K; ++j)
      hyps[b].add(ids_cpu[b * K + j].clone(), static_cast<double>(final_scores[b * K + j].item<float>()));
  }
  std::vector<torch::Tensor> best;
  std::vector<float> best_scores;
  int64_t max_len = 0, min_len = std::numeric_limits<int64_t>::max();
  for (int64_t b = 0; b < N; ++b) {
    auto beams = hyps[b].beams;
    std::stable_sort(beams.begin(), beams.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    best.push_back(beams.back().second);
    best_scores.push_back(static_cast<float>(beams.back().first));
    max_len = std::max(max_len, beams.back().second.size(0));
    min_len = std::min(min_len, beams.back().second.size(0));
  }
  const int64_t out_len = std::min(max_len + 1, s.max_length);
  torch::Tensor decoded = min_len != max_len ? torch::full({N, out_len}, s.pad_token_id, at::kLong)
                                             : torch::zeros({N, out_len}, at::kLong);
  for (int64_t b = 0; b < N; ++b) {
    const int64_t len = best[b].size(0);
    decoded[b].slice(0, 0, len).copy_(best[b]);
    if (len < s.max_length) decoded[b][len] = s.eos_token_id;
  }
  GenerationOutput out;
  out.sequences = decoded.to(input_ids.device());
  out.scores = torch::tensor(best_scores, at::kFloat);
  return out;
}

}  // namespace ua
