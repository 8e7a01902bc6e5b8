//! quell's event model. TODO
