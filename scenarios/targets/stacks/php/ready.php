<?php
// Readiness: PHP-FPM answers through nginx.
http_response_code(204);
