#include "uniadapter/petl/parameter_registry.h"

#include "uniadapter/runtime/error.h"

namespace ua {

void ParameterRegistry::declare(const torch::nn::Module& module, const std::string& group, ParamRole role) {
  modules_.emplace_back(&module, Declaration{group, role});
}

void ParameterRegistry::declare_child(const torch::nn::Module& owner, const std::string& name, const std::string& group,
                                      ParamRole role) {
  for (const auto& child : owner.named_children())
    if (child.key() == name) declare(*child.value(), group, role);
}

void ParameterRegistry::declare_parameter(const std::string& name, const std::string& group, ParamRole role) {
  parameters_[name] = Declaration{group, role};
}

void ParameterRegistry::resolve(const torch::nn::Module& root) {
  std::map<std::string, Declaration> by_path;
  std::map<std::string, bool> layer_norm;
  for (const auto& kv : root.named_modules("", /*include_self=*/false)) {
    const torch::nn::Module* m = kv.value().get();
    layer_norm[kv.key()] = dynamic_cast<const torch::nn::LayerNormImpl*>(m) != nullptr;
    for (const auto& d : modules_)
      if (d.first == m) by_path[kv.key()] = d.second;
  }
  resolved_.clear();
  std::vector<std::string> names;
  for (const auto& kv : root.named_parameters(/*recurse=*/true)) names.push_back(kv.key());
  for (const auto& kv : root.named_buffers(/*recurse=*/true)) names.push_back(kv.key());
  for (const std::string& name : names) {
    ParamPolicy p;
    const auto last = name.rfind('.');
    const std::string owner = last == std::string::npos ? "" : name.substr(0, last);
    p.bias = last != std::string::npos && name.compare(last, std::string::npos, ".bias") == 0;
    p.norm = layer_norm.count(owner) && layer_norm[owner];
    bool momentum = false;
    bool found = false;
    // Ancestors from the deepest: the first declaration found decides, unless an ancestor is a momentum copy.
    for (std::string path = owner; !path.empty();) {
      auto it = by_path.find(path);
      if (it != by_path.end()) {
        if (it->second.role == ParamRole::Momentum) momentum = true;
        if (!found) {
          p.group = it->second.group;
          p.role = it->second.role;
          found = true;
        }
      }
      const auto dot = path.rfind('.');
      path = dot == std::string::npos ? std::string() : path.substr(0, dot);
    }
    if (momentum) {
      p.group = "momentum";
      p.role = ParamRole::Momentum;
    }
    if (auto d = parameters_.find(name); d != parameters_.end()) {
      p.group = d->second.group;
      p.role = d->second.role;
    }
    resolved_[name] = p;
  }
}

const ParamPolicy& ParameterRegistry::of(const std::string& name) const {
  auto it = resolved_.find(name);
  check(it != resolved_.end(), kErrState, "no parameter policy for '" + name + "' (the registry was not resolved after it was registered)");
  return it->second;
}

}  // namespace ua
