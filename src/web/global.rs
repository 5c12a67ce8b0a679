//! State shared by the whole wasm instance.

/// A value in a `static`, for the one thread that wasm32-unknown-unknown runs on.
pub struct Global<T>(pub T);

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread, so a `Global` is
// never reached from two threads.
unsafe impl<T> Sync for Global<T> {}

impl<T> core::ops::Deref for Global<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
