-- Version 9: the phonebook's search reads precomputed columns instead of folding
-- every contact's name and stripping every number on each search (24.7 ms p50 in
-- 10,000 contacts before, see benches/store.rs).
--   contact.search: fold(first_name || ' ' || last_name || ' ' || company)
--   contact_number.digits: the number without spaces, dashes and slashes
-- store::phonebook keeps both when it writes a contact.
ALTER TABLE contact ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE contact SET search = fold(first_name || ' ' || last_name || ' ' || company);
ALTER TABLE contact_number ADD COLUMN digits TEXT NOT NULL DEFAULT '';
UPDATE contact_number SET digits = replace(replace(replace(number, ' ', ''), '-', ''), '/', '');
