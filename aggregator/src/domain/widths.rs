//! The narrowest column widths stored text may meet, on either store and on the deployment's own
//! schema (`user_agent VARCHAR(512)` there, `TEXT` in V1), and the cut that makes a value fit by
//! construction. A value too wide for its column would make MariaDB refuse the whole row (ERROR
//! 1406) where SQLite stores it: cutting here keeps the stores in agreement and no request can
//! carry a value the schema refuses.

/// `ide_sessions.user_agent` (VARCHAR(512) in the deployment's schema): the summary, or the full
/// header when `store_full_user_agent` is on.
pub const USER_AGENT_CHARS: usize = 512;
/// `ide_sessions.browser` and `ide_sessions.os` (VARCHAR(64)).
pub const BROWSER_CHARS: usize = 64;
pub const OS_CHARS: usize = 64;
/// `ide_sessions.device` (VARCHAR(16)). (`program_executions.error_message` is cut to
/// [`super::event::MAX_ERROR_MESSAGE_CHARS`], whose 4-byte characters fit any TEXT; names and
/// ids are validated to fit theirs.)
pub const DEVICE_CHARS: usize = 16;

/// `text` cut to at most `max` characters (MySQL counts a VARCHAR's width in characters), on a
/// character boundary.
pub fn fit(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_a_character_boundary_and_keeps_short_text() {
        assert_eq!(fit("abc", 5), "abc");
        assert_eq!(fit("abcdef", 3), "abc");
        assert_eq!(fit(&"é".repeat(10), 4), "éééé");
        assert_eq!(fit("", 0), "");
    }
}
