//! The Webex People and Graph users page parsers on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ucx_webex::parse_people_page(data);
    let _ = ucx_entra::parse_users_page(data);
});
