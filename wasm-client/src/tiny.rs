//! The no_std runtime of the release build (feature `tiny`): a small free-list allocator instead of
//! std's dlmalloc (~4.5 KB less wasm), and a panic handler that traps without formatting a
//! message, so neither `core::fmt` nor std's panic machinery ends up in the wasm (left out where
//! the tests link std, which brings its own: feature `std-panic`). The code avoids panicking
//! paths; a trap would only stop the tracker (its JS entry points are wrapped by usage.js), never
//! the page.

use lol_alloc::{AssumeSingleThreaded, FreeListAllocator};

/// lol_alloc's free list keeps blocks sorted by address and merges neighbours on free, so a tracker
/// running for hours reuses its memory rather than growing.
// SAFETY: `AssumeSingleThreaded` is sound only if no two threads ever allocate at once. This module
// is built for wasm32-unknown-unknown without the atomics feature: the instance has no threads and
// its memory is not shared, so every allocation runs on the page's one JS thread.
#[allow(unsafe_code)]
#[global_allocator]
static ALLOC: AssumeSingleThreaded<FreeListAllocator> =
    unsafe { AssumeSingleThreaded::new(FreeListAllocator::new()) };

#[cfg(not(feature = "std-panic"))]
#[panic_handler]
fn panic(_info: &::core::panic::PanicInfo) -> ! {
    ::core::arch::wasm32::unreachable()
}
