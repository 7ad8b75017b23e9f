//! The AXL response parser on arbitrary bytes: never a panic, only records or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ucx_cucm::parse_list_user(data, Some("example.com"));
});
