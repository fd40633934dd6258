-- The language a user chose for the app ('en', 'zh-HK' or 'zh-CN');
-- NULL: the browser's languages decide.
ALTER TABLE users ADD COLUMN language TEXT;
