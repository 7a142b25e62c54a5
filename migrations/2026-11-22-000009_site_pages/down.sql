UPDATE users SET capabilities = array_remove(capabilities, 'EDIT_SITE_PAGES');
DROP TABLE site_page;
