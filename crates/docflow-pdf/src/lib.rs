//! Stamped PDFs (in progress).
