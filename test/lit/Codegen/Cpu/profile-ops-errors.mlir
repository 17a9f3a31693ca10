// RUN: cleave-opt %s --cleave-cpu-profile-ops --split-input-file --verify-diagnostics

// expected-error @below {{profiling op groups needs the stage function @main}}
module {
  func.func @other() {
    return
  }
}

// -----

module {
  // expected-error @below {{must have one block to have its op groups timed}}
  func.func @main(%c: i1) {
    cf.cond_br %c, ^a, ^b
  ^a:
    return
  ^b:
    return
  }
}
