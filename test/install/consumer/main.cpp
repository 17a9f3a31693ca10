//===- main.cpp - Runs a Cleave artifact through the installed C++ API ----===//
//
// usage: consumer_cpp MODEL.cleave OUT_DIR INPUT.bin...
// Each INPUT.bin holds one input's raw bytes, in the model's input order; each
// output is written raw to OUT_DIR/<name>.bin, characters outside
// [A-Za-z0-9_.-] of the name replaced by
// '_'. Errors: one line on stderr, exit 1.
//
//===----------------------------------------------------------------------===//

#include <cleave/runtime.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

/// Reads `path` into `tensor`, whose byte size it must have.
cleave::Status readInto(const std::string &path, cleave::Tensor &tensor) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  if (!in.good() && !in.eof())
    return cleave::notFoundError("cannot read '" + path + "'");
  if (bytes.size() != tensor.byteSize())
    return cleave::invalidArgumentError(
        "'" + path + "' holds " + std::to_string(bytes.size()) +
        " bytes, the input needs " + std::to_string(tensor.byteSize()));
  std::copy(bytes.begin(), bytes.end(), static_cast<char *>(tensor.data()));
  return cleave::Status();
}

/// Opens the model, reads the inputs, runs it and writes the outputs.
cleave::Status run(int argc, char **argv) {
  if (argc < 3)
    return cleave::invalidArgumentError(
        "usage: consumer_cpp MODEL.cleave OUT_DIR INPUT.bin...");
  auto artifact = cleave::Artifact::open(argv[1]);
  if (!artifact.ok())
    return artifact.status();
  auto session = cleave::Session::create(std::move(artifact).value(),
                                         cleave::SessionOptions{1});
  if (!session.ok())
    return session.status();
  const cleave::Artifact &model = (*session)->artifact();
  if (static_cast<size_t>(argc - 3) != model.inputs().size())
    return cleave::invalidArgumentError(
        "the model has " + std::to_string(model.inputs().size()) + " inputs");

  std::vector<cleave::Tensor> inputs, outputs;
  for (size_t i = 0; i < model.inputs().size(); ++i) {
    auto tensor = cleave::Tensor::create(model.inputs()[i].dtype,
                                         model.inputs()[i].shape);
    if (!tensor.ok())
      return tensor.status();
    cleave::Status read = readInto(argv[3 + i], *tensor);
    if (!read.ok())
      return read;
    inputs.push_back(std::move(tensor).value());
  }
  // The zero-copy path: the outputs go straight into tensors of ours.
  std::vector<cleave::TensorView> inputViews(inputs.begin(), inputs.end());
  std::vector<cleave::MutableTensorView> outputViews;
  for (const cleave::TensorDesc &desc : model.outputs()) {
    auto tensor = cleave::Tensor::create(desc.dtype, desc.shape);
    if (!tensor.ok())
      return tensor.status();
    outputs.push_back(std::move(tensor).value());
    outputViews.emplace_back(outputs.back());
  }
  cleave::Status status = (*session)->run(inputViews, outputViews);
  if (!status.ok())
    return status;
  for (size_t k = 0; k < outputs.size(); ++k) {
    std::string name = model.outputs()[k].name;
    for (char &c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '.' && c != '-')
        c = '_';
    std::string path = std::string(argv[2]) + "/" + name + ".bin";
    std::ofstream out(path, std::ios::binary);
    out.write(static_cast<const char *>(outputs[k].data()),
              static_cast<std::streamsize>(outputs[k].byteSize()));
    if (!out)
      return cleave::internalError("cannot write '" + path + "'");
  }
  return cleave::Status();
}

} // namespace

int main(int argc, char **argv) {
  cleave::Status status = run(argc, argv);
  if (!status.ok()) {
    std::fprintf(stderr, "consumer_cpp: error: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
