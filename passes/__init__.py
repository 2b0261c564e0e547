"""Graph passes of bnncc, one module per pass (installed as bnncc.passes).

Each pass is an onnx_ir InPlacePass whose maths lives in a pure function next to it."""
