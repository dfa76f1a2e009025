// What each parameter of a model is, declared by the code that creates or attaches its module (the
// PETL wiring declares adapters, the task models their backbone parts, heads and momentum copies),
// instead of being guessed from its name. The trainable set, the adapter file, the parameter groups,
// the weight-decay exemption and the fingerprint all read it.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "uniadapter/runtime/torch_all.h"

namespace ua {

enum class ParamRole { Backbone, Petl, Head, Momentum, Temperature };

struct ParamPolicy {
  std::string group = "other";  // the parameter group param_info reports (uniadapter, kvAdapter, heads, vision, ...)
  ParamRole role = ParamRole::Backbone;
  bool norm = false;  // a LayerNorm's weight or bias
  bool bias = false;
};

class ParameterRegistry {
 public:
  // Every parameter under `module` (at any depth) gets this group and role. A deeper declaration
  // overrides a shallower one, except that a momentum copy stays a momentum copy whatever it holds.
  void declare(const torch::nn::Module& module, const std::string& group, ParamRole role);
  // The child `name` of `owner`, as above.
  void declare_child(const torch::nn::Module& owner, const std::string& name, const std::string& group, ParamRole role);
  // One parameter registered directly on the root (e.g. the temperature).
  void declare_parameter(const std::string& name, const std::string& group, ParamRole role);

  // Assigns every parameter and buffer of `root` its policy; called once all modules are registered.
  void resolve(const torch::nn::Module& root);

  const ParamPolicy& of(const std::string& name) const;
  bool is(const std::string& name, ParamRole role) const { return of(name).role == role; }

 private:
  struct Declaration {
    std::string group;
    ParamRole role;
  };
  std::vector<std::pair<const torch::nn::Module*, Declaration>> modules_;
  std::map<std::string, Declaration> parameters_;
  std::map<std::string, ParamPolicy> resolved_;
};

}  // namespace ua
