//! herogi: the browser identify SDK of the Herogi customer data platform.
//!
//! The browser-free core (argument shifting, field rules, request bodies, identity rules) is plain
//! Rust, tested natively and shared with the local Identify API server, so the SDK and the server
//! apply the same rules. The browser glue lives in `web` and is compiled for wasm32 only.
#![deny(missing_docs)]
// The shipped wasm build has no std: its panic handler and allocator are the crate's own, which
// keeps the formatting machinery of std's panics out of the script. Native builds and the wasm
// test builds use std.
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

extern crate alloc;

pub mod args;
pub mod bytes;
pub mod config;
pub mod error;
pub mod fields;
pub mod identity;
pub mod iso;
pub mod json;
pub mod payload;
pub mod queue;
pub mod read;
pub mod retry;
pub mod value;

#[cfg(target_arch = "wasm32")]
mod web;

/// Aborts on a panic without formatting its message, so no formatting code is shipped.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

// SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
