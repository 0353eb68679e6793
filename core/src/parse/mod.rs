//! Parsing protocol lines, zero-copy, two ways, and the Atlas backend's limits on ids:
//!
//! * [`python`]: spectator-py's `parse_protocol_line` semantics, a strict test utility that
//!   splits a line into symbol, name, tags and raw value;
//! * [`spectatord`]: spectatord's own acceptance rules and error messages (spec §12.2), so a
//!   program can check what the agent will accept before it is deployed;
//! * [`atlas`]: the lengths of names, tag keys and tag values that the Atlas backend accepts
//!   (spectatord accepts any, and Atlas then drops the measurement).
//!
//! ```
//! use spectator_core::parse::{python, spectatord};
//! let line = "g,60:queue.size,k=v:42";
//! let py = python::parse_protocol_line(line).unwrap();
//! assert_eq!((py.symbol, py.name, py.value), ("g", "queue.size", "42"));
//! assert!(spectatord::parse_line(line.as_bytes()).is_ok());
//! assert_eq!(spectatord::parse_line(b"g,0:x:1").unwrap_err().to_string(),
//!            "Invalid ttl specified for gauge at index 2");
//! ```

pub mod atlas;
pub mod python;
pub mod spectatord;
mod strtod;
