-- Version 18: CTI groups (SPEC C6) take subscribers' WebCTI logins as members
-- besides version 2's accounts: a subscriber logs in with his extension, and
-- has no account row of his own. A device joins a group through an account
-- without login, never directly.
CREATE TABLE cti_group_subscriber (
    group_id  INTEGER NOT NULL REFERENCES cti_group(id) ON DELETE CASCADE,
    extension TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    PRIMARY KEY (group_id, extension)
) WITHOUT ROWID;
CREATE INDEX cti_group_subscriber_extension ON cti_group_subscriber(extension);
CREATE INDEX cti_group_member_account ON cti_group_member(account_id);
