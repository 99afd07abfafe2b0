// the release page
