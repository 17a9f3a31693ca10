# lit configuration for Cleave's compiler tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Cleave"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cleave_obj_root, "test")
config.excludes = ["e2e", "onnx-backend", "models", "lit.cfg.py", "lit.site.cfg.py.in",
                   "CMakeLists.txt", "Inputs"]

config.environment["FILECHECK_OPTS"] = "--enable-var-scope"
llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()

config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%models", os.path.join(config.test_source_root, "lit", "Inputs")))
tool_dirs = [config.cleave_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["cleave-opt", "cleave-compile", "cleave-run"], tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
