from django.urls import path

from mutuals.web.views import (
    contract_edit,
    contracts,
    evaluation,
    home,
    open_data,
    organisations,
    returns_upload,
    workbench,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("organisations/", organisations.organisation_list, name="organisations"),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation"),
    path(
        "organisations/<int:pk>/returns/upload/",
        returns_upload.upload_returns,
        name="returns-upload",
    ),
    path("contracts/", contracts.contract_list, name="contracts"),
    path("contracts/<int:pk>/", contracts.contract_detail, name="contract"),
    path("contracts/new/", contract_edit.start, name="contract-new"),
    path("contracts/new/check/", contract_edit.check, name="contract-new-check"),
    path("contracts/new/<slug:step>/", contract_edit.step, name="contract-new-step"),
    path("contracts/<int:pk>/edit/", contract_edit.start, name="contract-edit"),
    path("contracts/<int:pk>/edit/check/", contract_edit.check, name="contract-edit-check"),
    path("contracts/<int:pk>/edit/<slug:step>/", contract_edit.step, name="contract-edit-step"),
    path("contracts/<int:pk>/saved/", contract_edit.saved, name="contract-saved"),
    path("evaluation/", evaluation.run_list, name="evaluations"),
    path("evaluation/<int:pk>/", evaluation.run_detail, name="evaluation-run"),
    path("evaluation/<int:pk>/progress/", evaluation.run_progress, name="evaluation-run-progress"),
    path("open-data/", open_data.open_data, name="open-data"),
    path("open-data/contracts.ocds.json", open_data.ocds_package, name="open-data-ocds"),
    path("open-data/<slug:table>.<str:format_>", open_data.download, name="open-data-table"),
    path("portfolio/", workbench.portfolio, name="portfolio"),
    path(
        "portfolio/report.pdf",
        workbench.portfolio_report,
        {"format_": "pdf"},
        name="portfolio-report-pdf",
    ),
    path(
        "portfolio/report.html",
        workbench.portfolio_report,
        {"format_": "html"},
        name="portfolio-report-html",
    ),
    path("organisations/<int:pk>/scorecard/", workbench.scorecard, name="scorecard"),
    path(
        "organisations/<int:pk>/report.pdf",
        workbench.scorecard_report,
        {"format_": "pdf"},
        name="scorecard-report-pdf",
    ),
    path(
        "organisations/<int:pk>/report.html",
        workbench.scorecard_report,
        {"format_": "html"},
        name="scorecard-report-html",
    ),
]
