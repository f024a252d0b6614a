-- «Загрузить из CSV» (server/people/contacts-import.ts): a row without a phone joins the live
-- contact with its email, else the one with its name and company, edge spaces, case and «ё»
-- aside. The names of a whole file are looked up in one statement (`key = ANY(…)`); this index
-- keeps that a probe per name. The expression is the import's NAME_KEY letter for letter.
-- Cyrillic capitals are folded by translate() too, so the key does not depend on the database's
-- LC_CTYPE (lower() under "C" leaves them as they are).
CREATE INDEX IF NOT EXISTS contacts_by_name_key ON contacts ((
  lower(translate(btrim(name), 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё', 'абвгдеежзийклмнопрстуфхцчшщъыьэюяе'))
  || chr(1) ||
  lower(translate(btrim(company), 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё', 'абвгдеежзийклмнопрстуфхцчшщъыьэюяе'))
)) WHERE merged_into IS NULL;
