-- Version 13: the contacts in the order the phonebook lists them (names
-- without regard to case), with the search column: a page of a book is read
-- from the index in order, and a search scans the index, not the table,
-- reading the table only for the contacts it lists. The list of 10,000
-- contacts was sorted whole on every request (contact_name's order is not the
-- list's), and every search read every contact's row. contact_name stays: an
-- import finds a contact it already has by the exact name.
CREATE INDEX contact_order ON contact(book_id, last_name COLLATE NOCASE, first_name COLLATE NOCASE, company COLLATE NOCASE, search);
