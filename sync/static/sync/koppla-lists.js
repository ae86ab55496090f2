// On a laptop screen (narrower than 1600 px) Koppla's lists start with the admin's left navigation
// folded away, so the list's own columns fit; « / » on the page's edge opens it again and the admin
// remembers that choice (Django's nav_sidebar.js reads the same key after this runs).
(function () {
    'use strict';
    try {
        const key = 'django.admin.navSidebarIsOpen';
        if (localStorage.getItem(key) === null && window.innerWidth < 1600) {
            localStorage.setItem(key, 'false');
        }
    } catch (error) {
        // storage switched off: Django's default (open) stays
    }
})();
