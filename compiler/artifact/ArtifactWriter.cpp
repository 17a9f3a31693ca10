// Writes the `.cleave` artifact (docs/artifact-format.md).
#include "compiler/artifact/ArtifactWriter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <map>

using namespace cleave;

namespace {

constexpr uint32_t kFormatVersion = 1;
constexpr uint64_t kSectionAlignment = 4096;
constexpr uint64_t kParameterAlignment = 64;

uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

llvm::json::Array shapeJson(const std::vector<int64_t> &shape) {
  llvm::json::Array array;
  for (int64_t d : shape)
    array.push_back(d);
  return array;
}

llvm::json::Object tensorJson(const ArtifactTensor &t) {
  return llvm::json::Object{{"name", t.name}, {"dtype", t.dtype}, {"shape", shapeJson(t.shape)}};
}

uint32_t crc(llvm::StringRef bytes) { return llvm::crc32(llvm::arrayRefFromStringRef(bytes)); }

template <typename T>
void putLE(std::string &out, size_t offset, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out[offset + i] = static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff);
}

} // namespace

const char *cleave::compilerVersion() { return "0.1.0"; }

bool cleave::writeArtifact(const std::string &path, ArtifactSpec spec, std::string &error) {
  // Sections: code first, then each rank's parameters.
  struct Section {
    std::string name, kind, bytes;
  };
  std::vector<Section> sections;
  for (ArtifactCode &code : spec.code)
    sections.push_back({code.section, code.kind, std::move(code.bytes)});

  llvm::json::Array params;
  std::map<int64_t, size_t> paramSectionOfRank;
  for (const ArtifactParameter &p : spec.parameters) {
    auto [it, inserted] = paramSectionOfRank.try_emplace(p.rank, sections.size());
    if (inserted)
      sections.push_back({"params.rank" + std::to_string(p.rank), "params", ""});
    std::string &bytes = sections[it->second].bytes;
    uint64_t offset = alignTo(bytes.size(), kParameterAlignment);
    bytes.resize(offset, '\0');
    bytes.append(p.data.data(), p.data.size());
    llvm::json::Object entry = tensorJson(p.tensor);
    entry["rank"] = p.rank;
    entry["section"] = sections[it->second].name;
    entry["offset"] = static_cast<int64_t>(offset);
    entry["size"] = static_cast<int64_t>(p.data.size());
    params.push_back(std::move(entry));
  }

  // The manifest is written last but placed first, so lay the sections out after a
  // manifest whose size is known; offsets only grow the JSON, so iterate to a fixpoint.
  std::vector<uint64_t> offsets(sections.size(), 0);
  std::string manifest;
  for (int attempt = 0; attempt < 4; ++attempt) {
    llvm::json::Array sectionJson;
    for (size_t i = 0; i < sections.size(); ++i)
      sectionJson.push_back(llvm::json::Object{
          {"name", sections[i].name},
          {"kind", sections[i].kind},
          {"offset", static_cast<int64_t>(offsets[i])},
          {"size", static_cast<int64_t>(sections[i].bytes.size())},
          {"crc32", static_cast<int64_t>(crc(sections[i].bytes))}});
    llvm::json::Array inputs, outputs, devices, stages;
    for (const auto &t : spec.inputs)
      inputs.push_back(tensorJson(t));
    for (const auto &t : spec.outputs)
      outputs.push_back(tensorJson(t));
    for (const auto &d : spec.devices)
      devices.push_back(llvm::json::Object{{"rank", d.rank}, {"kind", d.kind}, {"index", d.index}});
    for (const auto &s : spec.stages) {
      llvm::json::Array args;
      for (const auto &a : s.args) {
        llvm::json::Object arg{{"kind", a.kind}, {"name", a.name}};
        if (a.kind == "send" || a.kind == "recv") {
          arg[a.kind == "send" ? "to" : "from"] = a.peer;
          arg["dtype"] = a.tensor.dtype;
          arg["shape"] = shapeJson(a.tensor.shape);
        }
        args.push_back(std::move(arg));
      }
      llvm::json::Object estimate{{"flops", s.flops}, {"bytes", s.bytes}};
      if (s.seconds > 0)
        estimate["seconds"] = s.seconds;
      llvm::json::Object stage{{"id", s.id},
                               {"rank", s.rank},
                               {"device", s.device},
                               {"code", s.codeSection},
                               {"entry", s.entry},
                               {"args", std::move(args)},
                               {"estimate", std::move(estimate)}};
      if (s.gpuProgram)
        stage["gpu_program"] = llvm::json::Object(*s.gpuProgram);
      if (s.group.size() > 1) {
        llvm::json::Array group;
        for (int64_t r : s.group)
          group.push_back(r);
        stage["group"] = std::move(group);
        stage["shardings"] = llvm::json::Array(s.shardings);
        stage["collectives"] = llvm::json::Array(s.collectives);
      }
      stages.push_back(std::move(stage));
    }
    llvm::json::Object root{
        {"format_version", static_cast<int64_t>(kFormatVersion)},
        {"compiler_version", compilerVersion()},
        {"source", llvm::json::Object(spec.source)},
        {"options", llvm::json::Object(spec.options)},
        {"inputs", std::move(inputs)},
        {"outputs", std::move(outputs)},
        {"devices", std::move(devices)},
        {"parameters", llvm::json::Array(params)},
        {"stages", std::move(stages)},
        {"sections", std::move(sectionJson)}};
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)));
    os.flush();
    manifest = std::move(text);
    uint64_t cursor = alignTo(64 + manifest.size(), kSectionAlignment);
    bool changed = false;
    for (size_t i = 0; i < sections.size(); ++i) {
      if (offsets[i] != cursor)
        changed = true;
      offsets[i] = cursor;
      cursor = alignTo(cursor + sections[i].bytes.size(), kSectionAlignment);
    }
    if (!changed)
      break;
  }

  std::string header(64, '\0');
  memcpy(header.data(), "CLEAVE\0\1", 8);
  putLE<uint32_t>(header, 8, kFormatVersion);
  putLE<uint64_t>(header, 16, 64);
  putLE<uint64_t>(header, 24, manifest.size());
  putLE<uint32_t>(header, 32, crc(manifest));
  putLE<uint32_t>(header, 36, crc(llvm::StringRef(header.data(), 36)));

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path + "': " + ec.message();
    return false;
  }
  out << header << manifest;
  uint64_t written = 64 + manifest.size();
  for (size_t i = 0; i < sections.size(); ++i) {
    out.write_zeros(offsets[i] - written);
    out << sections[i].bytes;
    written = offsets[i] + sections[i].bytes.size();
  }
  out.close();
  if (out.has_error()) {
    error = "cannot write '" + path + "': " + out.error().message();
    out.clear_error();
    return false;
  }
  return true;
}
