//! Float reference executor (in progress).
