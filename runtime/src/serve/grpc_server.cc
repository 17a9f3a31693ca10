//===- grpc_server.cc - The KServe v2 gRPC service (GRPCInferenceService) -===//
//
// An infer call is turned into the REST protocol's request, a JSON header with
// the binary tensor data after it, so that the same checks (names, datatypes,
// shapes, element counts) give the same one-line reasons, mapped to gRPC
// status codes; outputs go back as raw_output_contents.
//
//===----------------------------------------------------------------------===//

#include "serve/grpc_server.h"

#include "grpc_service.grpc.pb.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

namespace cleave::serve {

using nlohmann::json;

namespace {

grpc::StatusCode codeOf(int httpStatus) {
  switch (httpStatus) {
  case 404:
    return grpc::StatusCode::NOT_FOUND;
  case 413:
    return grpc::StatusCode::RESOURCE_EXHAUSTED;
  case 503:
    return grpc::StatusCode::UNAVAILABLE;
  case 500:
    return grpc::StatusCode::INTERNAL;
  default:
    return grpc::StatusCode::INVALID_ARGUMENT;
  }
}

/// The typed contents of an input as a JSON array, or null when it has none.
json contentsJson(const inference::InferTensorContents &contents) {
  json data = json::array();
  for (bool v : contents.bool_contents())
    data.push_back(v);
  for (int32_t v : contents.int_contents())
    data.push_back(v);
  for (int64_t v : contents.int64_contents())
    data.push_back(v);
  for (uint32_t v : contents.uint_contents())
    data.push_back(v);
  for (uint64_t v : contents.uint64_contents())
    data.push_back(v);
  for (float v : contents.fp32_contents())
    data.push_back(v);
  for (double v : contents.fp64_contents())
    data.push_back(v);
  return data;
}

class Service final : public inference::GRPCInferenceService::Service {
public:
  explicit Service(Frontend &frontend) : frontend_(frontend) {}

  grpc::Status ServerLive(grpc::ServerContext *,
                          const inference::ServerLiveRequest *,
                          inference::ServerLiveResponse *reply) override {
    reply->set_live(true);
    return grpc::Status::OK;
  }

  grpc::Status ServerReady(grpc::ServerContext *,
                           const inference::ServerReadyRequest *,
                           inference::ServerReadyResponse *reply) override {
    reply->set_ready(frontend_.ready());
    return grpc::Status::OK;
  }

  grpc::Status
  ServerMetadata(grpc::ServerContext *,
                 const inference::ServerMetadataRequest *,
                 inference::ServerMetadataResponse *reply) override {
    reply->set_name("cleave-serve");
    reply->set_version("0.1.0");
    return grpc::Status::OK;
  }

  grpc::Status ModelReady(grpc::ServerContext *,
                          const inference::ModelReadyRequest *request,
                          inference::ModelReadyResponse *reply) override {
    grpc::Status known = checkModel(request->name(), request->version());
    if (!known.ok())
      return known;
    reply->set_ready(frontend_.ready());
    return grpc::Status::OK;
  }

  grpc::Status ModelMetadata(grpc::ServerContext *,
                             const inference::ModelMetadataRequest *request,
                             inference::ModelMetadataResponse *reply) override {
    grpc::Status known = checkModel(request->name(), request->version());
    if (!known.ok())
      return known;
    const ModelInfo &model = frontend_.model();
    reply->set_name(model.name);
    reply->add_versions("1");
    reply->set_platform("cleave");
    auto describe = [&](const TensorDesc &desc,
                        inference::ModelMetadataResponse::TensorMetadata *out) {
      out->set_name(desc.name);
      out->set_datatype(kserveDatatype(desc.dtype));
      for (size_t i = 0; i < desc.shape.size(); ++i)
        out->add_shape(model.maxRows > 0 && i == 0 ? -1 : desc.shape[i]);
    };
    for (const TensorDesc &desc : model.inputs)
      describe(desc, reply->add_inputs());
    for (const TensorDesc &desc : model.outputs)
      describe(desc, reply->add_outputs());
    return grpc::Status::OK;
  }

  grpc::Status ModelInfer(grpc::ServerContext *,
                          const inference::ModelInferRequest *request,
                          inference::ModelInferResponse *reply) override {
    Frontend::Clock::time_point arrival = Frontend::Clock::now();
    auto refuse = [&](int status, const std::string &message) {
      frontend_.refuse(request->id(), status, message, arrival);
      return grpc::Status(codeOf(status), message);
    };
    grpc::Status known =
        checkModel(request->model_name(), request->model_version());
    if (!known.ok())
      return refuse(404, known.error_message());
    bool raw = request->raw_input_contents_size() > 0;
    if (raw && request->raw_input_contents_size() != request->inputs_size())
      return refuse(400, std::to_string(request->raw_input_contents_size()) +
                             " raw_input_contents for " +
                             std::to_string(request->inputs_size()) +
                             " inputs; give one per input, or none");
    // The REST protocol's request: a JSON header, then the raw data.
    json inputs = json::array();
    size_t rawBytes = 0;
    for (int i = 0; i < request->inputs_size(); ++i) {
      const auto &input = request->inputs(i);
      json entry{{"name", input.name()},
                 {"datatype", input.datatype()},
                 {"shape", json(std::vector<int64_t>(input.shape().begin(),
                                                     input.shape().end()))}};
      if (raw) {
        entry["parameters"] =
            json{{"binary_data_size", request->raw_input_contents(i).size()}};
        rawBytes += request->raw_input_contents(i).size();
      } else {
        if (input.contents().bytes_contents_size() > 0)
          return refuse(400, "input '" + input.name() +
                                 "': bytes_contents (BYTES) is not supported");
        entry["data"] = contentsJson(input.contents());
      }
      inputs.push_back(std::move(entry));
    }
    json outputs = json::array();
    for (const auto &output : request->outputs())
      outputs.push_back(json{{"name", output.name()},
                             {"parameters", json{{"binary_data", true}}}});
    json header{{"inputs", std::move(inputs)},
                {"parameters", json{{"binary_data_output", true}}}};
    if (!request->id().empty())
      header["id"] = request->id();
    if (!outputs.empty())
      header["outputs"] = std::move(outputs);
    std::string body = header.dump();
    size_t headerLength = body.size();
    body.reserve(headerLength + rawBytes);
    for (const std::string &data : request->raw_input_contents())
      body += data;
    InferRequest parsed;
    std::optional<RequestError> bad = parseInferRequest(
        frontend_.model(), body,
        raw ? std::optional<size_t>(headerLength) : std::nullopt, &parsed);
    if (bad)
      return refuse(bad->status, bad->message);
    body.clear();
    body.shrink_to_fit();
    InferOutcome outcome = frontend_.infer(std::move(parsed), arrival);
    if (outcome.status != 200)
      return grpc::Status(codeOf(outcome.status), outcome.error);
    const ModelInfo &model = frontend_.model();
    reply->set_model_name(model.name);
    reply->set_model_version("1");
    reply->set_id(request->id());
    // parseInferRequest kept the outputs asked for, or all of them.
    std::vector<size_t> chosen;
    if (request->outputs_size() == 0) {
      for (size_t i = 0; i < model.outputs.size(); ++i)
        chosen.push_back(i);
    } else {
      for (const auto &output : request->outputs())
        for (size_t i = 0; i < model.outputs.size(); ++i)
          if (model.outputs[i].name == output.name())
            chosen.push_back(i);
    }
    for (size_t index : chosen) {
      const TensorDesc &desc = model.outputs[index];
      const OutputSlice &slice = outcome.slices[index];
      Shape shape = desc.shape;
      if (model.maxRows > 0)
        shape[0] = slice.rows;
      auto *out = reply->add_outputs();
      out->set_name(desc.name);
      out->set_datatype(kserveDatatype(desc.dtype));
      for (int64_t dim : shape)
        out->add_shape(dim);
      reply->add_raw_output_contents(static_cast<const char *>(slice.data),
                                     size_t(numElements(shape)) *
                                         dtypeSize(desc.dtype));
    }
    return grpc::Status::OK;
  }

private:
  grpc::Status checkModel(const std::string &name, const std::string &version) {
    const std::string &served = frontend_.model().name;
    if (name != served)
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "unknown model '" + name + "' (this server has '" +
                              served + "')");
    if (!version.empty() && version != "1")
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "unknown version '" + version + "' of model '" +
                              served + "' (it has version 1)");
    return grpc::Status::OK;
  }

  Frontend &frontend_;
};

} // namespace

struct GrpcServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  bool stopped = false;
};

StatusOr<std::unique_ptr<GrpcServer>>
GrpcServer::start(Frontend &frontend, const std::string &host, int port,
                  size_t maxMessageBytes) {
  // gRPC's own log lines (a port in use, a client that went away) would
  // break the one-line errors: what matters is reported by us.
  gpr_set_log_function([](gpr_log_func_args *) {});
  std::unique_ptr<GrpcServer> result(new GrpcServer());
  result->impl_ = std::make_unique<Impl>();
  Impl &impl = *result->impl_;
  impl.service = std::make_unique<Service>(frontend);
  grpc::ServerBuilder builder;
  std::string address =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
      std::to_string(port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &impl.port);
  builder.RegisterService(impl.service.get());
  int limit =
      maxMessageBytes > size_t(INT32_MAX) ? INT32_MAX : int(maxMessageBytes);
  builder.SetMaxReceiveMessageSize(limit);
  builder.SetMaxSendMessageSize(INT32_MAX);
  // No SO_REUSEPORT: a second server on a port in use is refused.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  impl.server = builder.BuildAndStart();
  if (!impl.server || impl.port == 0)
    return failedPreconditionError(
        "cannot listen for gRPC on " + address +
        " (in use, or not an address of this machine)");
  return result;
}

GrpcServer::~GrpcServer() { shutdown(); }

int GrpcServer::port() const { return impl_->port; }

void GrpcServer::shutdown() {
  if (!impl_ || !impl_->server || impl_->stopped)
    return;
  impl_->stopped = true;
  impl_->server->Shutdown();
  impl_->server->Wait();
}

} // namespace cleave::serve
