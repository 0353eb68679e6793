//! [`Sink`]: where a meter's lines go.

use crate::value::Value;

/// Anything that takes lines: a [`LineBuffer`](crate::LineBuffer) (holding them), its
/// [`Sender`](crate::line_buffer::Sender) (sending full datagrams), a spy in a test.
///
/// A line is `prefix` followed by `value`: `prefix` is a meter's rendered
/// `symbol[,ttl]:id:` ([`crate::prefix`]), rendered once per meter. Recording never fails
/// towards the caller: a sink that cannot deliver counts and drops.
///
/// ```
/// use spectator_core::{Sink, Value};
/// /// Counts the bytes of the lines it is given.
/// struct Bytes(usize);
/// impl Sink for Bytes {
///     fn record(&mut self, prefix: &str, value: &Value<'_>) {
///         self.0 += prefix.len() + value.rendered_len();
///     }
/// }
/// let mut sink = Bytes(0);
/// sink.record("c:x:", &Value::Int(10));
/// assert_eq!(sink.0, 6);
/// ```
pub trait Sink {
    /// Takes the line `prefix` + `value`.
    fn record(&mut self, prefix: &str, value: &Value<'_>);
}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline]
    fn record(&mut self, prefix: &str, value: &Value<'_>) {
        (**self).record(prefix, value);
    }
}
