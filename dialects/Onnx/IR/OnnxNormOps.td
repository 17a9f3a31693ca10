// Normalisation, softmax and reduction ops.
#ifndef CLEAVE_ONNX_NORM_OPS_TD
#define CLEAVE_ONNX_NORM_OPS_TD

#endif // CLEAVE_ONNX_NORM_OPS_TD
