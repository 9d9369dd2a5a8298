-- Every attempt of every record in a page. Needs the registered table page_changelog.
INSERT INTO delivery.sync_changelog BY NAME
SELECT * FROM page_changelog
