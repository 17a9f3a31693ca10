// The --generate rewrite: a decoder's past-key-values Concats become reads of a fixed-capacity
// cache that the runtime owns and writes the new rows into.
#include "compiler/import/GenerationRewrite.h"

#include "onnx/onnx_pb.h"

#include <limits>
#include <map>
#include <set>

using namespace cleave;

namespace {

constexpr const char *kPastPrefix = "past_key_values.";

/// Rank-4 dims of a value's declared type, -1 where a dim is not a number.
bool declaredDims(const ::onnx::ValueInfoProto &value, std::vector<int64_t> &dims) {
  if (!value.type().has_tensor_type() || !value.type().tensor_type().has_shape())
    return false;
  dims.clear();
  for (const auto &dim : value.type().tensor_type().shape().dim())
    dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return true;
}

int64_t intAttr(const ::onnx::NodeProto &node, const char *name, int64_t fallback) {
  for (const auto &attr : node.attribute())
    if (attr.name() == name)
      return attr.i();
  return fallback;
}

std::vector<int64_t> intsAttr(const ::onnx::NodeProto &node, const char *name) {
  for (const auto &attr : node.attribute())
    if (attr.name() == name)
      return {attr.ints().begin(), attr.ints().end()};
  return {};
}

/// Builds the nodes of the rewritten graph.
class Rewriter {
public:
  Rewriter(::onnx::GraphProto &graph, int64_t capacity) : graph(graph), capacity(capacity) {}

  ::onnx::NodeProto &node(const std::string &op, const std::string &name,
                          std::vector<std::string> inputs, const std::string &output) {
    ::onnx::NodeProto &n = out.emplace_back();
    n.set_op_type(op);
    n.set_name(name);
    for (const std::string &input : inputs)
      n.add_input(input);
    n.add_output(output);
    return n;
  }
  static void setInts(::onnx::NodeProto &n, const char *name, std::vector<int64_t> values) {
    auto *attr = n.add_attribute();
    attr->set_name(name);
    attr->set_type(::onnx::AttributeProto::INTS);
    for (int64_t v : values)
      attr->add_ints(v);
  }
  static void setInt(::onnx::NodeProto &n, const char *name, int64_t value) {
    auto *attr = n.add_attribute();
    attr->set_name(name);
    attr->set_type(::onnx::AttributeProto::INT);
    attr->set_i(value);
  }
  /// An int64 [1] initializer holding `value`.
  std::string constant(const std::string &name, int64_t value) {
    ::onnx::TensorProto *t = graph.add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::INT64);
    t->add_dims(1);
    t->add_int64_data(value);
    return name;
  }

  ::onnx::GraphProto &graph;
  int64_t capacity;
  std::vector<::onnx::NodeProto> out;
};

/// One cache tensor: the past input, the Concat appending the new rows and the present.
struct CacheConcat {
  std::string past, fresh, concat, present;
  /// Read only as MatMul(x, Transpose(concat)): the past input is stored transposed.
  bool transposed = false;
};

} // namespace

bool cleave::rewriteForGeneration(std::string &modelBytes, int64_t maxSeqLen,
                                  GenerationContract &contract,
                                  std::vector<std::pair<std::string, std::vector<int64_t>>> &shapes,
                                  std::string &error) {
  ::onnx::ModelProto model;
  if (!model.ParseFromString(modelBytes)) {
    error = "--generate: the model is not a valid ONNX model (protobuf parsing failed)";
    return false;
  }
  ::onnx::GraphProto &graph = *model.mutable_graph();
  contract = GenerationContract();
  contract.maxSeqLen = maxSeqLen;
  std::set<std::string> initializers, outputs;
  for (const auto &t : graph.initializer())
    initializers.insert(t.name());
  for (const auto &o : graph.output())
    outputs.insert(o.name());

  // The inputs by role.
  std::vector<const ::onnx::ValueInfoProto *> pasts;
  std::set<std::string> known;
  for (const auto &input : graph.input()) {
    const std::string &name = input.name();
    if (initializers.count(name))
      continue;
    if (name == "input_ids")
      contract.inputIds = name;
    else if (name == "attention_mask")
      contract.attentionMask = name;
    else if (name == "position_ids")
      contract.positionIds = name;
    else if (name.rfind(kPastPrefix, 0) == 0)
      pasts.push_back(&input);
    else {
      error = "--generate: input '" + name +
              "' is none of input_ids, attention_mask, position_ids, past_key_values.N.key|value";
      return false;
    }
  }
  if (contract.inputIds.empty()) {
    error = "--generate: the model has no 'input_ids' input";
    return false;
  }
  if (contract.attentionMask.empty()) {
    error = "--generate: the model has no 'attention_mask' input (it masks the cache's unused "
            "slots)";
    return false;
  }
  if (pasts.empty()) {
    error = "--generate: the model has no past_key_values.N.key|value inputs";
    return false;
  }
  if (!outputs.count("logits")) {
    error = "--generate: the model has no 'logits' output";
    return false;
  }
  contract.logits = "logits";

  // Who reads each value.
  std::map<std::string, std::vector<int>> readers;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &input : graph.node(i).input())
      readers[input].push_back(i);

  shapes.push_back({contract.inputIds, {1, 1}});
  shapes.push_back({contract.attentionMask, {1, maxSeqLen + 1}});
  if (!contract.positionIds.empty())
    shapes.push_back({contract.positionIds, {1, 1}});

  // Per past input, its Concat; per node index, what replaces it.
  std::map<int, CacheConcat> concats;            // Concat node -> cache
  std::map<int, std::pair<std::string, bool>> matmuls; // MatMul -> its Concat, transposed form
  std::set<int> dropped;                         // Transposes of a concatenation
  std::map<std::string, CacheConcat> caches;     // concatenation -> cache
  for (const ::onnx::ValueInfoProto *past : pasts) {
    const std::string &name = past->name();
    std::vector<int64_t> dims;
    if (!declaredDims(*past, dims) || dims.size() != 4 || dims[1] <= 0 || dims[3] <= 0) {
      error = "--generate: input '" + name +
              "' must be [batch, heads, past, head_dim] with static heads and head_dim";
      return false;
    }
    const std::vector<int> &users = readers[name];
    const ::onnx::NodeProto *concat = users.size() == 1 ? &graph.node(users[0]) : nullptr;
    if (!concat || concat->op_type() != "Concat" || concat->input_size() != 2 ||
        concat->input(0) != name ||
        (intAttr(*concat, "axis", 0) != 2 && intAttr(*concat, "axis", 0) != -2)) {
      error = "--generate: input '" + name +
              "' must be read by exactly one Concat(past, new, axis=2), its present";
      return false;
    }
    CacheConcat cache{name, concat->input(1), concat->output(0), concat->output(0)};
    if (!outputs.count(cache.concat)) {
      error = "--generate: the Concat of '" + name + "' (node '" + concat->name() +
              "') is not a graph output (its present)";
      return false;
    }
    bool plain = false, transposed = false;
    for (int user : readers[cache.concat]) {
      const ::onnx::NodeProto &n = graph.node(user);
      if (n.op_type() == "MatMul" && n.input(1) == cache.concat && n.input(0) != cache.concat) {
        matmuls[user] = {cache.concat, false};
        plain = true;
        continue;
      }
      if (n.op_type() == "Transpose" && intsAttr(n, "perm") == std::vector<int64_t>{0, 1, 3, 2}) {
        bool ok = !outputs.count(n.output(0));
        for (int reader : readers[n.output(0)]) {
          const ::onnx::NodeProto &m = graph.node(reader);
          ok &= m.op_type() == "MatMul" && m.input(1) == n.output(0) && m.input(0) != n.output(0);
          matmuls[reader] = {cache.concat, true};
        }
        if (ok) {
          dropped.insert(user);
          transposed = true;
          continue;
        }
      }
      error = "--generate: node '" + n.name() + "' (" + n.op_type() + ") reads the cache '" +
              cache.concat + "': only MatMul(x, cache) and MatMul(x, Transpose(cache, [0,1,3,2])) "
              "can read a cache in place";
      return false;
    }
    // Keys (read transposed only) are stored transposed: the scores read them as they lie.
    cache.transposed = transposed && !plain;
    if (cache.transposed) {
      for (auto &input : *graph.mutable_input())
        if (input.name() == name) {
          auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
          shape->mutable_dim(2)->Swap(shape->mutable_dim(3));
        }
      shapes.push_back({name, {1, dims[1], dims[3], maxSeqLen}});
    } else {
      shapes.push_back({name, {1, dims[1], maxSeqLen, dims[3]}});
    }
    contract.cache.push_back({name, cache.present, cache.transposed});
    concats[users[0]] = cache;
    caches[cache.concat] = cache;
  }

  Rewriter rw(graph, maxSeqLen);
  std::string endName = rw.constant("cleave.generate.end", std::numeric_limits<int64_t>::max());
  std::string capName = rw.constant("cleave.generate.capacity", maxSeqLen);
  std::string zeroName = rw.constant("cleave.generate.zero", 0);
  std::string axisName = rw.constant("cleave.generate.last_axis", -1);
  for (int i = 0; i < graph.node_size(); ++i) {
    const ::onnx::NodeProto &n = graph.node(i);
    if (dropped.count(i))
      continue;
    if (auto it = concats.find(i); it != concats.end()) {
      // The present: the new rows only; the runtime writes them into its cache.
      const CacheConcat &c = it->second;
      rw.node("Identity", n.name() + "/new_rows", {c.fresh}, c.present);
      continue;
    }
    auto it = matmuls.find(i);
    if (it == matmuls.end()) {
      rw.out.push_back(n);
      continue;
    }
    const CacheConcat &c = caches.at(it->second.first);
    const std::string &x = n.input(0), &y = n.output(0), base = n.name();
    if (it->second.second) {
      // scores = x @ [past; new]^T = concat(x @ past^T, x @ new^T) along the keys.
      if (c.transposed)
        rw.node("Identity", base + "/past_t", {c.past}, base + "/past_t");
      else
        rw.setInts(rw.node("Transpose", base + "/past_t", {c.past}, base + "/past_t"), "perm",
                   {0, 1, 3, 2});
      rw.setInts(rw.node("Transpose", base + "/new_t", {c.fresh}, base + "/new_t"), "perm",
                 {0, 1, 3, 2});
      rw.node("MatMul", base + "/past", {x, base + "/past_t"}, base + "/past");
      rw.node("MatMul", base + "/new", {x, base + "/new_t"}, base + "/new");
      rw.setInt(rw.node("Concat", base + "/keys", {base + "/past", base + "/new"}, y), "axis", -1);
    } else {
      // out = p @ [past; new] = p[..., :L] @ past + p[..., L:] @ new.
      rw.node("Slice", base + "/p_past", {x, zeroName, capName, axisName}, base + "/p_past");
      rw.node("Slice", base + "/p_new", {x, capName, endName, axisName}, base + "/p_new");
      rw.node("MatMul", base + "/past", {base + "/p_past", c.past}, base + "/past");
      rw.node("MatMul", base + "/new", {base + "/p_new", c.fresh}, base + "/new");
      rw.node("Add", base + "/sum", {base + "/past", base + "/new"}, y);
    }
  }
  graph.clear_node();
  for (::onnx::NodeProto &n : rw.out)
    *graph.add_node() = std::move(n);
  // Shapes declared for the old values no longer hold: shape inference recomputes them.
  std::set<std::string> presents;
  for (const GenerationContract::Cache &c : contract.cache)
    presents.insert(c.present);
  auto *infos = graph.mutable_value_info();
  for (int i = infos->size() - 1; i >= 0; --i)
    if (presents.count(infos->Get(i).name()))
      infos->DeleteSubrange(i, 1);
  for (auto &o : *graph.mutable_output())
    if (presents.count(o.name()) && o.type().has_tensor_type() &&
        o.type().tensor_type().shape().dim_size() == 4) {
      auto *dim = o.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(2);
      dim->clear_dim_param();
      dim->set_dim_value(1);
    }
  modelBytes.clear();
  if (!model.SerializeToString(&modelBytes)) {
    error = "--generate: the rewritten model could not be serialised";
    return false;
  }
  return true;
}
