//! What the provider refuses, and how.
