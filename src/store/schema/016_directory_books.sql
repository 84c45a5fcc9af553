-- Version 16: external phonebook sources (SPEC C10). A csv or ldap book's
-- `source` holds its settings (domain::directory::Source as JSON) and
-- `last_sync` what its last sync did or why it failed (LastSync as JSON).
-- Notes on a deleted book's contacts go to the trash (contact_note.trashed_at).
ALTER TABLE book ADD COLUMN last_sync TEXT NOT NULL DEFAULT '';
CREATE INDEX contact_note_trash ON contact_note(trashed_at) WHERE trashed_at IS NOT NULL;
