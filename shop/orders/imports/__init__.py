"""Platform order exports (抖店, 快手小店, 视频号小店) imported as orders.

``exports`` reads a file into export lines (columns, ids mangled by Excel, money, times); ``services``
plans and runs an import in committed chunks, keeps column mappings and the holding area of lines whose
product is not known yet; ``chunks`` writes one chunk of whole orders in bulk; ``matching`` finds our
product for a platform's title or merchant code; ``upload_stash`` keeps a file while its columns are
mapped; ``controllers`` and ``pages`` are the JSON and HTML doors. May import the orders domain (models,
the lifecycle, the stock kernel), catalogue and streams; nothing imports it but the doors, the CLI and
the desk.
"""
