//! Document-flow rules (in progress).
