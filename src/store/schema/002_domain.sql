-- Version 2: the domain as SPEC.md describes it, designed once for the whole
-- product so later work adds columns, not rewrites. Times are Unix seconds (UTC);
-- enumerations are small integers or short fixed words checked here.

CREATE TABLE department (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

-- Subscribers: one extension each. Their WebCTI login is the extension number.
CREATE TABLE extension (
    number          TEXT PRIMARY KEY,
    name            TEXT NOT NULL DEFAULT '',
    comment         TEXT NOT NULL DEFAULT '',      -- set by an administrator, shown
    description     TEXT NOT NULL DEFAULT '',      -- the subscriber's own
    email           TEXT NOT NULL DEFAULT '',
    department_id   INTEGER REFERENCES department(id) ON DELETE SET NULL,
    password_hash   TEXT,                          -- Argon2id PHC string
    pin_hash        TEXT,                          -- Argon2id; logs in once, then cleared
    password_set_at INTEGER,
    is_admin        INTEGER NOT NULL DEFAULT 0,
    public_book     TEXT NOT NULL DEFAULT 'read' CHECK (public_book IN ('none', 'read', 'edit')),
    recordings      INTEGER NOT NULL DEFAULT 0,
    licences        TEXT NOT NULL DEFAULT '[]',    -- JSON list of CTI functions
    mobile_number   TEXT NOT NULL DEFAULT '',      -- set by an administrator or manager
    system_phone    TEXT,                          -- model of the system phone, if any
    key_labels      TEXT NOT NULL DEFAULT '[]',    -- JSON list of key labels
    language        TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('pl', 'en', 'de')),
    layout          TEXT NOT NULL DEFAULT 'auto' CHECK (layout IN ('auto', 'full', 'mobile')),
    callback_choice TEXT CHECK (callback_choice IN ('extension', 'mobile')),
    notify_answered INTEGER NOT NULL DEFAULT 0,
    notify_missed   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX extension_department ON extension(department_id);

CREATE TABLE manager_department (
    extension     TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES department(id) ON DELETE CASCADE,
    PRIMARY KEY (extension, department_id)
) WITHOUT ROWID;

-- What is programmed into the core for an extension (SPEC W8, W9). The stored
-- row is the truth; the core is re-programmed from it after a reconnect.
CREATE TABLE extension_services (
    extension            TEXT PRIMARY KEY REFERENCES extension(number) ON DELETE CASCADE,
    phone_lock           INTEGER NOT NULL DEFAULT 0,
    clir                 INTEGER NOT NULL DEFAULT 0,
    call_waiting         INTEGER NOT NULL DEFAULT 1,
    call_as              TEXT NOT NULL DEFAULT '',
    recall_account       TEXT NOT NULL DEFAULT '',
    recall_pin_hash      TEXT,
    wakeup_time          TEXT,                     -- 'HH:MM' in the board's time zone
    dnd                  INTEGER NOT NULL DEFAULT 0,
    dnd_announcement     INTEGER NOT NULL DEFAULT 0,
    follow_me_to         TEXT NOT NULL DEFAULT '', -- "I am here": the extension calls follow
    forward_to           TEXT NOT NULL DEFAULT '', -- unconditional forwarding
    forward_busy         TEXT NOT NULL DEFAULT '',
    forward_no_answer    TEXT NOT NULL DEFAULT '',
    no_answer_secs       INTEGER NOT NULL DEFAULT 20,
    forward_unreachable  TEXT NOT NULL DEFAULT '',
    voicemail            INTEGER NOT NULL DEFAULT 1, -- unanswered calls go to voicemail
    mobile_on_no_answer  INTEGER NOT NULL DEFAULT 0,
    mobile_on_dnd        INTEGER NOT NULL DEFAULT 0,
    mobile_on_unreachable INTEGER NOT NULL DEFAULT 0,
    restriction          TEXT NOT NULL DEFAULT 'none' CHECK (restriction IN ('none', 'internal', 'national')),
    updated_at           INTEGER NOT NULL
) WITHOUT ROWID;

-- Advanced forwarding rules, in order.
CREATE TABLE forward_rule (
    id           INTEGER PRIMARY KEY,
    extension    TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    condition    TEXT NOT NULL CHECK (condition IN ('always', 'busy', 'no_answer', 'unreachable', 'dnd')),
    calls        TEXT NOT NULL DEFAULT 'all' CHECK (calls IN ('all', 'internal', 'external')),
    presentation TEXT NOT NULL DEFAULT 'any' CHECK (presentation IN ('any', 'presented', 'withheld')),
    target_kind  TEXT NOT NULL CHECK (target_kind IN ('number', 'voicemail', 'fax_to_mail')),
    target       TEXT NOT NULL DEFAULT '',
    UNIQUE (extension, position)
);

-- Costs (SPEC W7): what an extension has spent, its limit and top-up.
CREATE TABLE cost_account (
    extension     TEXT PRIMARY KEY REFERENCES extension(number) ON DELETE CASCADE,
    spent_cents   INTEGER NOT NULL DEFAULT 0,
    limit_cents   INTEGER,                        -- NULL: no limit
    top_up_cents  INTEGER NOT NULL DEFAULT 0,
    top_up_mode   TEXT NOT NULL DEFAULT 'none' CHECK (top_up_mode IN ('none', 'daily', 'weekly', 'monthly')),
    last_top_up   INTEGER,
    reset_at      INTEGER
) WITHOUT ROWID;

CREATE TABLE tariff (
    prefix          TEXT PRIMARY KEY,             -- longest prefix wins
    name            TEXT NOT NULL,
    setup_cents     INTEGER NOT NULL DEFAULT 0,
    cents_per_minute INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Call records: one row per subscriber's side of a finished call, as the core
-- reports it. Kept small (integers for enumerations, the core's id as the row id,
-- no index that a query does not need): this is the table that grows.
--   direction:   0 outgoing, 1 incoming
--   disposition: 0 answered, 1 missed, 2 busy, 3 answered elsewhere, 4 voicemail, 5 failed
--   flags:       bit 0 external party, bit 1 caller withheld, bit 2 call to listen to voicemail
CREATE TABLE cdr (
    core_id     INTEGER PRIMARY KEY,              -- the core's record id: duplicates are refused
    extension   TEXT NOT NULL,                    -- no foreign key: history outlives an extension
    direction   INTEGER NOT NULL,
    disposition INTEGER NOT NULL,
    flags       INTEGER NOT NULL DEFAULT 0,
    peer        TEXT NOT NULL,                    -- the other party's number
    answered_by TEXT,                             -- who took it, when answered elsewhere
    started_at  INTEGER NOT NULL,
    ring_secs   INTEGER NOT NULL DEFAULT 0,
    talk_secs   INTEGER NOT NULL DEFAULT 0,
    cost_cents  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cdr_history ON cdr(extension, started_at);
CREATE INDEX cdr_age ON cdr(started_at);

-- Notes written about a call (SPEC C15).
CREATE TABLE call_note (
    id         INTEGER PRIMARY KEY,
    cdr_core_id INTEGER NOT NULL,
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX call_note_cdr ON call_note(cdr_core_id);

-- Voicemail index: the audio stays with the core; this is what lists show.
CREATE TABLE voicemail (
    id          INTEGER PRIMARY KEY,
    core_id     INTEGER NOT NULL UNIQUE,
    extension   TEXT NOT NULL,
    caller      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    duration_secs INTEGER NOT NULL DEFAULT 0,
    heard_at    INTEGER,
    audio_ref   TEXT                              -- the core's handle for in-browser listening
);
CREATE INDEX voicemail_list ON voicemail(extension, received_at);
CREATE INDEX voicemail_age ON voicemail(received_at);

-- Department callback list (SPEC Y5).
CREATE TABLE callback (
    id            INTEGER PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES department(id) ON DELETE CASCADE,
    number        TEXT NOT NULL,
    first_cdr     INTEGER NOT NULL,
    claimed_by    TEXT,
    claimed_at    INTEGER,
    resolved_at   INTEGER,
    resolved_by   TEXT
);
CREATE INDEX callback_open ON callback(department_id, resolved_at);

-- Phonebooks (SPEC W6, C9-C12, Y4): one store for web, CTI clients and phones.
--   kind: public (WebCTI's public book), private (a subscriber's own), global
--   (Global.Phonebook), local (Global.LocalNumbers, kept automatically), book
--   (created by an administrator), csv / ldap (mirrors of external sources).
CREATE TABLE book (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('public', 'private', 'global', 'local', 'book', 'csv', 'ldap')),
    name       TEXT NOT NULL,
    owner      TEXT REFERENCES extension(number) ON DELETE CASCADE, -- private books only
    read_only  INTEGER NOT NULL DEFAULT 0,
    source     TEXT NOT NULL DEFAULT '{}',        -- JSON: an external source's settings
    synced_at  INTEGER,
    UNIQUE (kind, owner, name)
);

CREATE TABLE contact (
    id         INTEGER PRIMARY KEY,
    book_id    INTEGER NOT NULL REFERENCES book(id) ON DELETE CASCADE,
    uid        TEXT NOT NULL,                     -- permanent id: notes and sync follow it
    first_name TEXT NOT NULL DEFAULT '',
    last_name  TEXT NOT NULL DEFAULT '',
    company    TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    vip        INTEGER NOT NULL DEFAULT 0,
    hide_extra INTEGER NOT NULL DEFAULT 0,        -- hide additional numbers (SPEC M3)
    source_rev TEXT,                              -- an external record's change marker
    updated_at INTEGER NOT NULL,
    UNIQUE (book_id, uid)
);
CREATE INDEX contact_name ON contact(book_id, last_name, first_name);

--   kind: work, mobile, home, fax, other
CREATE TABLE contact_number (
    contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL DEFAULT 'work',
    number     TEXT NOT NULL,                     -- as entered
    normalized TEXT NOT NULL,                     -- for reverse lookup
    PRIMARY KEY (contact_id, position)
) WITHOUT ROWID;
CREATE INDEX contact_number_lookup ON contact_number(normalized);

CREATE TABLE contact_group (
    id      INTEGER PRIMARY KEY,
    book_id INTEGER NOT NULL REFERENCES book(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    UNIQUE (book_id, name)
);

CREATE TABLE contact_group_member (
    group_id   INTEGER NOT NULL REFERENCES contact_group(id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
) WITHOUT ROWID;

-- Shared notes on contacts, kept against the record's permanent id (SPEC C12);
-- when a book is deleted its notes move to the trash (trashed_at set).
CREATE TABLE contact_note (
    id          INTEGER PRIMARY KEY,
    book_name   TEXT NOT NULL,
    contact_uid TEXT NOT NULL,
    author      TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    trashed_at  INTEGER
);
CREATE INDEX contact_note_uid ON contact_note(contact_uid);

-- CTI server accounts (SPEC C1-C5).
--   kind: computer, user, nologin
CREATE TABLE account (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind            TEXT NOT NULL CHECK (kind IN ('computer', 'user', 'nologin')),
    password_hash   TEXT,
    hand_over       INTEGER NOT NULL DEFAULT 0,   -- hand the password over at next login
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    sip_user        TEXT NOT NULL DEFAULT '',
    department_note TEXT NOT NULL DEFAULT '',
    extension       TEXT REFERENCES extension(number) ON DELETE SET NULL, -- a WebCTI login's account
    offline_journal INTEGER NOT NULL DEFAULT 0,
    server_journal  INTEGER NOT NULL DEFAULT 0,
    hot_desking     INTEGER NOT NULL DEFAULT 0,
    blf_source      TEXT NOT NULL DEFAULT 'in_use' CHECK (blf_source IN ('in_use', 'first', 'not_softphone')),
    created_at      INTEGER NOT NULL
);

CREATE TABLE account_device (
    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    device     TEXT NOT NULL,                     -- an extension number
    main       INTEGER NOT NULL DEFAULT 1,
    computer   TEXT NOT NULL DEFAULT '',          -- hot desking: where the device stands
    softphone  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, device)
) WITHOUT ROWID;

CREATE TABLE account_monitor (
    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    device     TEXT NOT NULL,
    clip       INTEGER NOT NULL DEFAULT 0,
    pickup     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, device)
) WITHOUT ROWID;

CREATE TABLE cti_group (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    show_numbers INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE cti_group_member (
    group_id   INTEGER NOT NULL REFERENCES cti_group(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, account_id)
) WITHOUT ROWID;

--   access: read, write, offline (clients may keep a copy)
CREATE TABLE cti_group_book (
    group_id INTEGER NOT NULL REFERENCES cti_group(id) ON DELETE CASCADE,
    book_id  INTEGER NOT NULL REFERENCES book(id) ON DELETE CASCADE,
    access   TEXT NOT NULL CHECK (access IN ('read', 'write', 'offline')),
    PRIMARY KEY (group_id, book_id)
) WITHOUT ROWID;

-- Presence (SPEC C7): a stack per account; the newest entry in force wins, and
-- when it ends the one below it shows again.
CREATE TABLE presence (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    status     INTEGER NOT NULL CHECK (status BETWEEN 0 AND 11),
    info       TEXT NOT NULL DEFAULT '',
    starts_at  INTEGER,
    ends_at    INTEGER,
    set_by     TEXT NOT NULL,
    set_at     INTEGER NOT NULL
);
CREATE INDEX presence_account ON presence(account_id, set_at);

-- Change journal a user can read (SPEC Y2).
--   via: web, phone, manager, admin, import, api, core
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    via     TEXT NOT NULL,
    subject TEXT NOT NULL,                        -- the extension or account changed
    what    TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_subject ON audit(subject, at);

-- Provisioning tokens (SPEC V1): only a hash is kept.
CREATE TABLE api_token (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- One-time password reset links (SPEC W1): only a hash of the token is kept.
CREATE TABLE password_reset (
    token_hash TEXT PRIMARY KEY,
    extension  TEXT NOT NULL REFERENCES extension(number) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
