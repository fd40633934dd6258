-- The orphan sweep asks which stored files a message still names.
CREATE INDEX messages_media_sha256 ON messages (media_sha256) WHERE media_sha256 IS NOT NULL;
