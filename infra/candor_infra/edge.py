"""Static pages on S3 behind CloudFront, which also routes `/v1/*` to the API.

One origin for pages and API: `connect-src 'self'` plus the object-storage
origin (protocol §4), and no CORS on the API but on the public manifest
list, which the offline verifier reads from a file:// page (docs/verify.md).
The pages' behaviour serves frontend/headers.json's headers; each of its
`paths` gets a behaviour of its own with its own policy, tried longest
pattern first, as candor/release.py's headers_for picks one. Nothing here
logs a viewer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from candor_infra.headers import PageHeaders
from candor_infra.origin_key import ORIGIN_KEY_HEADER
from candor_infra.scanners import NO_ACCESS_LOGS, skip_checks
from candor_infra.settings import API_STAGE

# Everything the API reads from a request besides method, path, query and
# body: a team request's signature (protocol §4.3) and a client puzzle's
# proof (§4.1). Answers come back whole: `Retry-After` and `Candor-Puzzle`
# reach the pages, same origin, so no CORS header needs to expose them. Not
# forwarded, User-Agent and Accept-Language never reach the Lambda;
# CloudFront sends its own User-Agent instead.
# No address, user agent or viewer header (CloudFront-Viewer-*, etc.) is
# forwarded; the Lambda handler keeps the same list and drops the
# X-Forwarded-For and Via that CloudFront adds anyway (chalicelib/anonymize.py).
API_REQUEST_HEADERS = [
    "Content-Type",
    "Content-Digest",
    "Signature-Input",
    "Signature",
    "Candor-Proof",
]
# The API answers JSON only: nothing in it may load, run or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The one API answer any origin may read: the signed manifests, public by
# design (protocol §4.5), which verifiers follow releases against (§4.8).
PUBLIC_API_PATH = "/v1/manifest"
# Viewer-request function of the pages: `/console/` -> `/console/index.html`.
# S3 behind origin access control has no directory index of its own, and
# DefaultRootObject covers `/` only. deploy tests run the same file in node.
DIRECTORY_INDEX_JS = Path(__file__).with_name("directory_index.js")


class Edge(Construct):
    """Pages bucket, response headers policies and the distribution."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        stage: str,
        page_headers: PageHeaders,
        rest_api_id: str,
        origin_key: str,
        domain_name: str | None,
        certificate_arn: str | None,
    ) -> None:
        super().__init__(scope, cid)
        # CloudFront's names are account-wide, not per region: the same stage
        # deployed in two regions must not collide.
        self._prefix = f"candor-{stage}-{Aws.REGION}"
        self.bucket = s3.Bucket(
            self,
            "Pages",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            # Kept on stack deletion; deleted when a failed first create rolls
            # back, so that a second try does not find it in the way.
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="old-page-versions",
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        skip_checks(self.bucket, {"CKV_AWS_18": NO_ACCESS_LOGS})
        pages_policy = _pages_headers_policy(self, f"{self._prefix}-page-headers", page_headers)
        api_policy = _api_headers_policy(self, f"{self._prefix}-api-headers", page_headers)
        public_api_policy = _api_headers_policy(
            self, f"{self._prefix}-public-api-headers", page_headers, public=True
        )
        api_origin = origins.HttpOrigin(
            f"{rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}",
            origin_path=f"/{API_STAGE}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            # Set over any viewer header of that name (infra/candor_infra/origin_key.py).
            custom_headers={ORIGIN_KEY_HEADER: origin_key},
        )
        pages_access = cloudfront.S3OriginAccessControl(
            self,
            "PagesAccess",
            origin_access_control_name=f"{self._prefix}-pages",
            description="Candor pages: CloudFront reads the pages bucket",
        )
        directory_index = cloudfront.Function(
            self,
            "DirectoryIndex",
            function_name=f"{self._prefix}-directory-index",
            comment="Candor pages: directory paths to their index.html",
            code=cloudfront.FunctionCode.from_file(file_path=str(DIRECTORY_INDEX_JS)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        api_requests = cloudfront.OriginRequestPolicy(
            self,
            "ApiRequests",
            origin_request_policy_name=f"{self._prefix}-api-requests",
            comment="Candor API: all query strings, only the headers the API reads",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(*API_REQUEST_HEADERS),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        pages_origin = origins.S3BucketOrigin.with_origin_access_control(
            self.bucket, origin_access_control=pages_access
        )

        def pages(policy: cloudfront.ResponseHeadersPolicy) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=pages_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=policy,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=directory_index,
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
            )

        def api(policy: cloudfront.ResponseHeadersPolicy) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=api_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=api_requests,
                response_headers_policy=policy,
                compress=False,
            )

        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Candor pages and API",
            default_root_object="index.html",
            domain_names=[domain_name] if domain_name else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=False,
            default_behavior=pages(pages_policy),
            # First match wins: the API's two, then the pages' longest pattern first.
            additional_behaviors={
                PUBLIC_API_PATH: api(public_api_policy),
                "/v1/*": api(api_policy),
                **{
                    pattern: pages(
                        _pages_headers_policy(self, f"{self._prefix}-path-{_tag(pattern)}",
                                              headers, pattern)
                    )
                    for pattern, headers in sorted(
                        page_headers.paths.items(), key=lambda p: (-len(p[0]), p[0])
                    )
                },
            },
        )
        reasons = {
            "CKV_AWS_86": NO_ACCESS_LOGS,
            "CKV_AWS_68": "WAF logs record client addresses; API Gateway throttles instead",
        }
        if not certificate_arn:
            reasons["CKV_AWS_174"] = (
                "default *.cloudfront.net certificate; set domainName for TLSv1.2_2021"
            )
        skip_checks(self.distribution, reasons)

    @property
    def domain(self) -> str:
        return self.distribution.distribution_domain_name


def _security_headers(headers: PageHeaders, csp: str) -> cloudfront.ResponseSecurityHeadersBehavior:
    return cloudfront.ResponseSecurityHeadersBehavior(
        content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
            content_security_policy=csp, override=True
        ),
        strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
            access_control_max_age=Duration.seconds(headers.hsts_seconds),
            include_subdomains=headers.hsts_subdomains,
            preload=headers.hsts_preload,
            override=True,
        ),
        referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
            referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
        ),
        content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
        frame_options=cloudfront.ResponseHeadersFrameOptions(
            frame_option=cloudfront.HeadersFrameOption.DENY, override=True
        ),
    )


def _tag(pattern: str) -> str:
    """A stable short name for a path pattern (construct ids, policy names)."""
    return hashlib.sha256(pattern.encode()).hexdigest()[:10]


def _cors(
    allow_origin: str | None, expose: str | None = None
) -> cloudfront.ResponseHeadersCorsBehavior | None:
    """Access-Control-Allow-Origin for public files read by a page of another
    origin (the offline verifier, from file://): simple GETs, no credentials;
    `expose` lets it read the headers a release signs."""
    if allow_origin is None:
        return None
    return cloudfront.ResponseHeadersCorsBehavior(
        access_control_allow_credentials=False,
        access_control_allow_headers=["*"],
        access_control_allow_methods=["GET", "HEAD"],
        access_control_allow_origins=[allow_origin],
        access_control_expose_headers=[h.strip() for h in expose.split(",")] if expose else None,
        origin_override=True,
    )


def _pages_headers_policy(
    scope: Construct, name: str, headers: PageHeaders, pattern: str | None = None
) -> cloudfront.ResponseHeadersPolicy:
    return cloudfront.ResponseHeadersPolicy(
        scope,
        f"PathHeaders{_tag(pattern)}" if pattern else "PageHeaders",
        response_headers_policy_name=name,
        comment=f"Candor pages {pattern}: frontend/headers.json's paths"
        if pattern
        else "Candor pages: frontend/headers.json plus the object-storage origin",
        security_headers_behavior=_security_headers(headers, headers.csp),
        cors_behavior=_cors(headers.allow_origin, headers.expose_headers),
        custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
            custom_headers=[
                cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
                for name, value in sorted(headers.custom.items())
            ]
        )
        if headers.custom
        else None,
        remove_headers=["Server"],
    )


def _api_headers_policy(
    scope: Construct, name: str, headers: PageHeaders, *, public: bool = False
) -> cloudfront.ResponseHeadersPolicy:
    return cloudfront.ResponseHeadersPolicy(
        scope,
        "PublicApiHeaders" if public else "ApiHeaders",
        response_headers_policy_name=name,
        comment="Candor API, public manifests: JSON only, readable from any origin"
        if public
        else "Candor API: JSON only, never cached or framed",
        security_headers_behavior=_security_headers(headers, API_CSP),
        cors_behavior=_cors("*") if public else None,
        custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
            custom_headers=[
                cloudfront.ResponseCustomHeader(
                    header="Cache-Control", value="no-store", override=True
                )
            ]
        ),
        remove_headers=["Server"],
    )
