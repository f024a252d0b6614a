-- «Контакты»: the directory pages through live contacts by name (keyset on (name, id)), and
-- reads a page's phones (and through them its last calls) by contact.
CREATE INDEX IF NOT EXISTS contacts_by_name ON contacts (name, id) WHERE merged_into IS NULL;
CREATE INDEX IF NOT EXISTS contact_phones_contact ON contact_phones (contact_id);
