/// Every text of the web pages in one language: the page texts rendered by ``WebPage``, and
/// ``script``, the texts the script shows, handed to it as JSON. `{name}` marks a placeholder.
struct WebStrings: Sendable {
    let languageName: String
    let tagline: String
    let uploadLead: String
    let dropTitle: String
    let dropOr: String
    let chooseFiles: String
    let limits: String
    let maxDays: String
    let maxDownloads: String
    let password: String
    let noPassword: String
    let noLimit: String
    let noScript: String
    let uploadButton: String
    let commandLine: String
    let size: String
    let type: String
    let uploaded: String
    let expires: String
    let downloadsLeft: String
    let download: String
    let copyLink: String
    let limitedNote: String
    let uploadAFile: String
    let preview: String
    let notFoundTitle: String
    /// Why a link gives 404, by ``FileRecord/Unavailability``.
    let notFound: String
    let deleted: String
    let expired: String
    let usedUp: String
    /// Byte units from bytes to TiB, powers of 1024.
    let units: [String]
    let decimalSeparator: String
    let groupSeparator: String
    let script: [String: String]

    static func of(_ language: Language) -> WebStrings {
        switch language {
        case .en: english
        case .ru: russian
        }
    }

    static let english = WebStrings(
        languageName: "English",
        tagline: "Share a file with a link",
        uploadLead: "Drop files anywhere on this page, or choose them. A dropped connection or a reload loses nothing: "
            + "drop the same file again and its upload goes on where it stopped.",
        dropTitle: "Drop files here",
        dropOr: "or",
        chooseFiles: "choose files",
        limits: "Options (optional)",
        maxDays: "Expires after, days",
        maxDownloads: "Max downloads",
        password: "Password",
        noPassword: "none",
        noLimit: "no limit",
        noScript: "Without JavaScript the files go in one request, without progress or resuming, and the limits are not sent.",
        uploadButton: "Upload",
        commandLine: "From the command line",
        size: "Size",
        type: "Type",
        uploaded: "Uploaded",
        expires: "Expires",
        downloadsLeft: "Downloads left",
        download: "Download",
        copyLink: "Copy link",
        limitedNote: "Each complete download uses up one of the downloads left; the preview does not.",
        uploadAFile: "Upload a file",
        preview: "Preview",
        notFoundTitle: "This link does not work",
        notFound: "There is no file under this link, or it was removed.",
        deleted: "The file was deleted.",
        expired: "The link has expired.",
        usedUp: "The link has reached its download limit.",
        units: ["B", "KiB", "MiB", "GiB", "TiB"],
        decimalSeparator: ".",
        groupSeparator: ",",
        script: [
            "waiting": "Waiting…",
            "starting": "Starting…",
            "resuming": "Resuming…",
            "done": "Done",
            "cancelled": "Cancelled",
            "failed": "Failed",
            "speed": "{speed}/s",
            "speedLeft": "{speed}/s · {time} left",
            "hours": "h", "minutes": "min", "seconds": "s",
            "retrying": "Connection lost, retrying in {seconds} s…",
            "reconnecting": "Connection lost, reconnecting…",
            "cancel": "Cancel",
            "copy": "Copy",
            "copied": "Copied",
            "pageLink": "Download page",
            "delete": "Delete",
            "deleteLink": "Delete link (keep it to delete the file later)",
            "confirmDelete": "Delete “{name}”? The link stops working for everyone.",
            "deletedFile": "Deleted",
            "deleteFailed": "Could not delete: {reason}",
            "tooLarge": "Too large: the limit is {limit}.",
            "gone": "The upload expired or was removed on the server.",
            "network": "The connection keeps failing. Drop the same file again to go on where it stopped.",
            "server": "The server answered {status}: {text}",
            "badDays": "Expires after: a number of days above 0, at most 3650.",
            "badDownloads": "Max downloads: a whole number, 1 or more.",
            "unauthorized": "This server asks for upload credentials (a user and password, or any user and an upload token).",
            "full": "The server's storage is full.",
            "previewSkipped": "No preview: it would use up one of the downloads left.",
            "previewPart": "The first {size} of {total}.",
            "previewEmpty": "The file is empty.",
            "previewFailed": "The preview could not be loaded.",
        ]
    )

    static let russian = WebStrings(
        languageName: "Русский",
        tagline: "Поделитесь файлом по ссылке",
        uploadLead: "Перетащите файлы на страницу или выберите их. Обрыв связи или перезагрузка страницы ничего не теряют: "
            + "перетащите тот же файл снова, и загрузка продолжится с места остановки.",
        dropTitle: "Перетащите файлы сюда",
        dropOr: "или",
        chooseFiles: "выберите их",
        limits: "Параметры (необязательно)",
        maxDays: "Срок хранения, дней",
        maxDownloads: "Число скачиваний",
        password: "Пароль",
        noPassword: "нет",
        noLimit: "без ограничения",
        noScript: "Без JavaScript файлы уйдут одним запросом, без прогресса и докачки, а ограничения не передаются.",
        uploadButton: "Загрузить",
        commandLine: "Из командной строки",
        size: "Размер",
        type: "Тип",
        uploaded: "Загружен",
        expires: "Истекает",
        downloadsLeft: "Осталось скачиваний",
        download: "Скачать",
        copyLink: "Копировать ссылку",
        limitedNote: "Каждое полное скачивание расходует одно из оставшихся; предпросмотр — нет.",
        uploadAFile: "Загрузить файл",
        preview: "Предпросмотр",
        notFoundTitle: "Ссылка не работает",
        notFound: "По этой ссылке файла нет, или он удалён.",
        deleted: "Файл удалён.",
        expired: "Срок действия ссылки истёк.",
        usedUp: "Ссылка исчерпала число скачиваний.",
        units: ["Б", "КиБ", "МиБ", "ГиБ", "ТиБ"],
        decimalSeparator: ",",
        groupSeparator: "\u{202F}",
        script: [
            "waiting": "В очереди…",
            "starting": "Начинаем…",
            "resuming": "Продолжаем…",
            "done": "Готово",
            "cancelled": "Отменено",
            "failed": "Ошибка",
            "speed": "{speed}/с",
            "speedLeft": "{speed}/с · осталось {time}",
            "hours": "ч", "minutes": "мин", "seconds": "с",
            "retrying": "Связь потеряна, повтор через {seconds} с…",
            "reconnecting": "Связь потеряна, подключаемся…",
            "cancel": "Отменить",
            "copy": "Копировать",
            "copied": "Скопировано",
            "pageLink": "Страница файла",
            "delete": "Удалить",
            "deleteLink": "Ссылка для удаления (сохраните её, чтобы удалить файл позже)",
            "confirmDelete": "Удалить «{name}»? Ссылка перестанет работать для всех.",
            "deletedFile": "Удалён",
            "deleteFailed": "Не удалось удалить: {reason}",
            "tooLarge": "Слишком большой файл: предел {limit}.",
            "gone": "Загрузка истекла или удалена на сервере.",
            "network": "Связь всё время обрывается. Перетащите тот же файл снова, чтобы продолжить с места остановки.",
            "server": "Сервер ответил {status}: {text}",
            "badDays": "Срок хранения: число дней больше 0, не больше 3650.",
            "badDownloads": "Число скачиваний: целое число, 1 или больше.",
            "unauthorized": "Сервер принимает файлы только с учётными данными (пользователь и пароль или любой пользователь и токен загрузки).",
            "full": "Хранилище сервера заполнено.",
            "previewSkipped": "Предпросмотра нет: он израсходовал бы одно из оставшихся скачиваний.",
            "previewPart": "Первые {size} из {total}.",
            "previewEmpty": "Файл пуст.",
            "previewFailed": "Не удалось загрузить предпросмотр.",
        ]
    )
}
