//! Placeholder: the browser tracker.
