//! The size floor of the SDK's wasm core: the rules of `src/` (argument shifting, `init`, the
//! field rules, request bodies, queue merges) compiled alone, with none of the browser glue of
//! `src/web/` and no wasm-bindgen. Its exports take their arguments as the text that js/read.js
//! writes and `read` parses, as the shipped core does. The module is never run: bench/floor.mjs
//! builds it and prints its size.
#![no_std]
// The parts of the rules that only the browser glue calls (identity, retry, order keys) are
// not reached from the exports here, so the compiler drops them.
#![allow(dead_code)]

extern crate alloc;

#[path = "../../src/args.rs"]
mod args;
#[path = "../../src/bytes.rs"]
mod bytes;
#[path = "../../src/config.rs"]
mod config;
#[path = "../../src/error.rs"]
mod error;
#[path = "../../src/fields.rs"]
mod fields;
#[path = "../../src/identity.rs"]
mod identity;
#[path = "../../src/iso.rs"]
mod iso;
#[path = "../../src/json.rs"]
mod json;
#[path = "../../src/payload.rs"]
mod payload;
#[path = "../../src/queue.rs"]
mod queue;
#[path = "../../src/read.rs"]
mod read;
#[path = "../../src/retry.rs"]
mod retry;
#[path = "../../src/value.rs"]
mod value;

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use value::Value;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

// SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// The last result, kept until the next call so that its pointer stays valid.
struct Output(RefCell<String>);

// SAFETY: as for the allocator, the module runs on one thread.
unsafe impl Sync for Output {}

static LAST_RESULT: Output = Output(RefCell::new(String::new()));

fn output(text: String) -> *const u8 {
    let mut last = LAST_RESULT.0.borrow_mut();
    *last = text;
    last.as_ptr()
}

/// Reads the arguments of a call, written as js/read.js writes them; each number reads as NaN.
///
/// # Safety
///
/// `bytes` must point at `length` readable bytes.
unsafe fn arguments(bytes: *const u8, length: usize) -> Vec<Value> {
    let bytes = core::slice::from_raw_parts(bytes, length);
    read::arguments(core::str::from_utf8(bytes).unwrap_or(""), &[])
}

/// Reserves `length` bytes for the arguments of the next call.
#[no_mangle]
pub extern "C" fn reserve(length: usize) -> *mut u8 {
    alloc::vec![0u8; length].leak().as_mut_ptr()
}

struct Page;

impl config::Page for Page {
    fn resolve(&self, url: &str) -> Option<String> {
        Some(url.into())
    }

    fn origin(&self) -> String {
        String::new()
    }
}

/// Reads `init`'s arguments; returns the Authorization header or the error message.
///
/// # Safety
///
/// `bytes` must point at `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn init(bytes: *const u8, length: usize) -> *const u8 {
    match config::parse_init(&arguments(bytes, length), &Page) {
        Ok(config) => output(config.authorization()),
        Err(error) => output(error.message),
    }
}

/// Reads `identify`'s arguments; returns the request body or the error message.
///
/// # Safety
///
/// `bytes` must point at `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn identify(bytes: *const u8, length: usize) -> *const u8 {
    let values = arguments(bytes, length);
    match args::shift(&values) {
        Ok(shifted) => output(payload::Identify::build(&values, &shifted).body(None)),
        Err(error) => output(error.message),
    }
}

/// Reads stored queue entries, one per line, and makes room for the last one. Then it merges the
/// rest as a page that goes away does, and returns the entries as stored after that.
///
/// # Safety
///
/// `bytes` must point at `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn merge(bytes: *const u8, length: usize) -> *const u8 {
    let bytes = core::slice::from_raw_parts(bytes, length);
    let text = core::str::from_utf8(bytes).unwrap_or("");
    let mut entries: Vec<queue::Entry> = text.lines().filter_map(queue::Entry::decode).collect();
    let Some(incoming) = entries.pop() else {
        return output(String::new());
    };
    let room = queue::make_room(&mut entries, &incoming, None);
    queue::merge_from(&mut entries, 0, 60 * 1024, None);
    let mut stored: String = entries.iter().map(queue::Entry::encode).collect();
    stored.push_str(&room.dropped.concat());
    output(stored)
}
