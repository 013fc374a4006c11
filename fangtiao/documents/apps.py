from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fangtiao.documents"
    label = "documents"
    verbose_name = "文书"

    def ready(self) -> None:
        from fangtiao.audit.registry import register

        register({
            "document.generated": "生成文书",
            "document.downloaded": "下载文书",
            "document.scan_uploaded": "上传签章扫描件",
            "document.scan_downloaded": "下载签章扫描件",
            "document.template_uploaded": "上传文书模板",
            "document.template_disabled": "停用文书模板",
            "document.print_requested": "批量打印",
            "document.print_downloaded": "下载批量打印文件",
        })
