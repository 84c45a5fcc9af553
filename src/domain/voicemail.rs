//! A message in a subscriber's mailbox, as the core reported it.

/// One message in a subscriber's mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voicemail {
    pub core_id: u64,
    pub extension: String,
    pub caller: String,
    pub received_at: i64,
    pub duration_secs: u32,
    pub heard_at: Option<i64>,
}
