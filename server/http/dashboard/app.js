// Placeholder: the dashboard page replaces this file.
"use strict";
document.getElementById("status").textContent +=
    " (see docs/http-api.md)";
