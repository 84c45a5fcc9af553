-- Version 3: a contact's groups are looked up by the contact (the phonebook list
-- shows them on every row; deleting a contact removes its memberships).
CREATE INDEX contact_group_member_contact ON contact_group_member(contact_id);
