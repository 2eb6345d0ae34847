//! The no_std runtime of the release build (feature `tiny`): std's allocator (dlmalloc) and a
//! panic handler that traps without formatting a message, so neither `core::fmt` nor std's panic
//! machinery ends up in the wasm. The code avoids panicking paths; a trap would only stop the
//! tracker (its JS entry points are wrapped by usage.js), never the page.

#[global_allocator]
static ALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

#[panic_handler]
fn panic(_info: &::core::panic::PanicInfo) -> ! {
    ::core::arch::wasm32::unreachable()
}
