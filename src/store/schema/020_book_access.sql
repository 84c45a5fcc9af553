-- Version 20: who reads the shared books (SPEC C11). A book of an external
-- source or one an administrator keeps ('book') is read by everyone as
-- `everyone` says (none, read, or offline: clients may keep a copy), and by
-- the members of the groups version 2's cti_group_book gives access to.
ALTER TABLE book ADD COLUMN everyone TEXT NOT NULL DEFAULT 'read'
    CHECK (everyone IN ('none', 'read', 'offline'));
CREATE INDEX cti_group_book_book ON cti_group_book(book_id);
