"""Qt views of cnnviz: they display plain data and emit signals; no tensor maths here."""
