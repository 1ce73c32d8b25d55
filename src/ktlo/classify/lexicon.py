"""The vocabulary of each subcategory: weighted phrases, leading verbs, labels and types.

Phrases are regular expressions over lower-cased text, matched as whole words.
Longer, more specific phrases carry more weight than single words, so that
"add missing null check" reads as a bug while "add support for" reads as a feature.
"""

from __future__ import annotations

# subcategory -> [(phrase regex, weight)]
PHRASES: dict[str, list[tuple[str, float]]] = {
    "incident": [
        (r"hot-?fix(?:es|ed|ing)?", 3.5), (r"roll(?:ed|ing)?[- ]?backs?", 3.5),
        (r"revert(?:s|ed|ing)?", 3.0), (r"post-?mortems?", 3.5), (r"incidents?", 2.5),
        (r"outages?", 3.5), (r"sev ?[0-3]", 3.5), (r"(?:prod|production) (?:issue|fire|incident|down|outage|hotfix)", 3.5),
        (r"(?:prod|production|site|service) is down", 4.0), (r"emergency", 2.5),
        (r"mitigat(?:e|es|ed|ing|ion)", 2.0), (r"root[- ]cause", 2.0), (r"rca", 2.0),
        (r"back(?:ed)? ?out", 2.5), (r"urgent(?:ly)?", 1.5), (r"restore service", 3.0),
        (r"customer[- ]impact(?:ing)?", 2.0), (r"war ?room", 3.0), (r"firefight(?:ing)?", 3.0),
        (r"stop the bleeding", 3.0), (r"paged", 1.5),
    ],
    "bug": [
        (r"still (?:appears?|shows?|visible|there|present|happens?|running|listed|fails?|crashes?)", 3.0),
        (r"fix(?:es|ed|ing)? (?:a |the |an |some |several |two |many )?(?:\w+ )?bugs?", 5.0),
        (r"(?:fix(?:es|ed)?|closes|resolves)(?::)? (?:https?://\S+/issues/\d+|#\d+|gh-\d+)", 3.0),
        (r"(?:to work|works? again|work(?:s|ing)? (?:correctly|properly|as expected))", 3.0),
        (r"failures?", 1.5), (r"make sure|ensure(?:s)? (?:that )?", 1.0), (r"warnings?", 0.5),
        (r"bug ?fix(?:es|ed)?", 3.5), (r"fix(?:es|ed|ing)?", 2.0), (r"bugs?", 2.0),
        (r"crash(?:es|ed|ing)?", 2.5), (r"regressions?", 2.5), (r"broken", 2.5),
        (r"incorrect(?:ly)?", 2.5), (r"wrong(?:ly)?", 2.5), (r"error(?:s)?", 1.0),
        (r"exceptions?", 1.5), (r"null ?pointer(?:exception)?|npe|nullreferenceexception", 3.0),
        (r"(?:add(?:ed)? )?(?:missing )?null[- ]checks?", 3.0), (r"nil (?:pointer|check|deref\w*)", 3.0),
        (r"off[- ]by[- ]one", 3.5), (r"race conditions?", 2.5), (r"deadlocks?", 2.5),
        (r"memory leaks?", 2.5), (r"does(?:n'?t| not) work", 3.0), (r"not working", 3.0),
        (r"fail(?:s|ed|ing)? (?:to|when|on|with|if|for)", 2.0), (r"issues? (?:with|when|where)", 1.5),
        (r"problems? (?:with|when|where)", 2.0), (r"properly", 1.5), (r"correct(?:ly|ed|s|ion)?", 1.5),
        (r"resolv(?:e|es|ed|ing)", 1.0), (r"handle (?:empty|missing|null|none|nil|invalid|edge|zero|negative)", 2.5),
        (r"edge[- ]cases?", 2.0), (r"unexpected(?:ly)?", 1.5), (r"invalid", 1.0),
        (r"add(?:ed)? missing", 3.5), (r"missing", 1.5), (r"panic(?:s|ked)?", 2.0),
        (r"seg ?faults?|segmentation fault", 3.5), (r"hang(?:s|ing)?", 1.5), (r"freez(?:e|es|ing)", 1.5),
        (r"stuck", 1.5), (r"workaround", 1.5), (r"defects?", 2.5), (r"glitch(?:es)?", 2.0),
        (r"mis-?(?:aligned|alignment|match|matched|named|configured)", 1.5), (r"typo in (?:\w+ )?(?:code|variable|function|key|query)", 2.0),
        (r"should (?:not )?(?:be|have|return)", 1.0), (r"instead of", 0.5),
        (r"(?:is|are|was|were) (?:not|never) (?:shown|displayed|saved|updated|sent|applied|called|set|cleared)", 2.5),
        (r"(?:doesn'?t|don'?t|didn'?t|can'?t|cannot|won'?t|isn'?t|aren'?t)", 1.0),
        (r"(?:fixes|closes|resolves|fixed) #\d+", 2.0), (r"overflow(?:s|ed)?", 1.5),
        (r"double[- ](?:counting|charge|charged|submit|render)", 2.5), (r"flicker(?:s|ing)?", 1.5),
        (r"encoding (?:issue|problem|error)", 2.5), (r"(?:infinite|endless) loop", 3.0),
        (r"\b(?:500|404) (?:error|on|when)", 2.0), (r"unhandled", 2.0), (r"corrupt(?:s|ed|ion)?", 2.0),
        (r"misbehav\w*", 2.0), (r"erroneous(?:ly)?", 2.0), (r"spurious", 1.5), (r"bad (?:data|value|state)", 1.5),
    ],
    "security": [
        (r"cve-\d{4}-\d+", 6.0), (r"ghsa(?:-[\w]{4}){3}", 6.0), (r"vulnerab(?:le|ility|ilities)", 4.0),
        (r"security", 3.0), (r"xss", 4.0), (r"cross[- ]site", 3.5), (r"csrf|xsrf", 4.0),
        (r"(?:sql |command |code |header |ldap |template )?injection", 3.5), (r"ssrf", 4.0),
        (r"remote code execution|rce", 4.0), (r"saniti[sz](?:e|es|ed|ing|ation)", 2.5),
        (r"escap(?:e|es|ing) (?:user |html |untrusted )?(?:input|output|html)", 2.5),
        (r"auth(?:entication|orization)? bypass", 4.5), (r"privilege escalation", 4.5),
        (r"leak(?:ed|ing|s)? (?:of )?(?:the )?(?:secret|token|api key|key|credential|password)s?", 4.5),
        (r"(?:rotate|rotating|rotated) (?:the )?(?:\w+ )?(?:secret|key|token|credential|password|certificate)s?", 4.5),
        (r"(?:secret|key|credential|token|password) rotation", 4.5), (r"credentials?", 1.5),
        (r"secrets?", 1.5), (r"access control", 2.5), (r"unauthori[sz]ed", 2.5),
        (r"content security policy|csp", 3.0), (r"harden(?:s|ed|ing)?", 3.0),
        (r"denial[- ]of[- ]service|dos attack|redos", 3.5), (r"(?:path|directory) traversal", 4.5),
        (r"open redirect", 4.0), (r"clickjacking", 4.0), (r"snyk", 2.5), (r"npm audit|audit fix", 3.5),
        (r"security advisory|advisory", 3.0), (r"exploit(?:s|able)?", 3.5), (r"brute[- ]force", 2.5),
        (r"timing attack|constant[- ]time", 3.5), (r"insecure", 3.0), (r"cwe-\d+", 4.0),
        (r"permissions? (?:check|bypass|escalation)", 3.0), (r"idor", 4.0), (r"pii", 2.0),
        (r"tls|ssl", 1.0), (r"weak (?:cipher|hash|crypto)", 3.5), (r"secure (?:cookie|flag)s?", 3.0),
    ],
    "dependency": [
        (r"bump(?:s|ed|ing)? [\w@./-]+ from v?\S+ to v?\S+", 6.0), (r"bump(?:s|ed|ing)?", 2.5),
        (r"update dependenc(?:y|ies)", 4.5), (r"(?:update|upgrade|bump)s? (?:the )?(?:\w+ )?deps", 4.5),
        (r"upgrad(?:e|es|ed|ing)", 2.0), (r"dependenc(?:y|ies)", 2.5), (r"deps", 2.5),
        (r"lock ?files?", 3.0),
        (r"package-lock(?:\.json)?|yarn\.lock|poetry\.lock|cargo\.lock|go\.sum|gemfile\.lock|composer\.lock|pnpm-lock|pipfile\.lock|uv\.lock|requirements\.txt", 3.5),
        (r"from v?\d+(?:\.\d+)+\S* to v?\d+(?:\.\d+)*", 3.5), (r"to v?\d+\.\d+(?:\.\d+)*", 1.5),
        (r"to (?:the )?latest(?: version)?", 2.5), (r"(?:un)?pin(?:s|ned|ning)? ", 1.5),
        (r"renovate|dependabot|greenkeeper|pyup", 3.5),
        (r"(?:node(?:\.?js)?|python|java|jdk|openjdk|go|golang|ruby|php|rust|postgres(?:ql)?|mysql|redis|kubernetes|k8s|ubuntu|debian|alpine|django|rails|spring boot|react|angular|vue|next\.?js|electron|gradle|maven|webpack|babel|typescript|eslint|numpy|pandas|openssl) v?\d+(?:\.\d+)*",
         2.0),
        (r"base image", 2.5), (r"vendor(?:ed)? (?:\w+ )?(?:update|bump|sync)", 3.0), (r"toolchain", 2.5),
        (r"(?:runtime|library|libraries|packages?|module|sdk|image) (?:update|upgrade|bump)s?", 3.0),
        (r"(?:update|upgrade)s? (?:\w+ ){0,2}(?:to|from) v?\d", 3.5), (r"version of", 1.0),
        (r"end[- ]of[- ]life|eol", 2.0), (r"security updates?", 1.0),
    ],
    "performance": [
        (r"perf(?:ormance)?", 3.0), (r"speed(?:s|ing)? ?up|sped up", 3.5), (r"faster", 3.0),
        (r"slow(?:er|ness|ly|down)?", 2.5), (r"optimi[sz](?:e|es|ed|ation|ations|ing)", 3.0),
        (r"latency", 3.0), (r"throughput", 3.0), (r"memory (?:usage|footprint|consumption|use)", 3.0),
        (r"(?:reduce|reduces|reduced|reducing|lower|cut) (?:\w+ )?(?:memory|allocations?|cpu|latency|load|time|size|overhead|round ?trips|calls|queries)", 3.5),
        (r"allocations?", 2.0), (r"cach(?:e|es|ed|ing)", 1.5), (r"n\+1", 4.0),
        (r"add(?:ed)? (?:an? |missing )?(?:db |database )?index(?:es)?", 3.0), (r"bottlenecks?", 3.0),
        (r"profil(?:e|ed|ing)", 1.5), (r"benchmarks?", 1.5), (r"lazy[- ]?load(?:ing|ed)?", 2.0),
        (r"quadratic|o\(n\^?2\)|o\(n log n\)", 3.5), (r"hot ?paths?", 2.5), (r"capacity", 1.5),
        (r"efficien(?:t|tly|cy)", 2.5), (r"p9[059]|p50", 2.5), (r"cpu", 1.5),
        (r"gc (?:pause|pressure)s?|garbage collection", 3.0), (r"batch(?:ing|ed)? (?:\w+ )?(?:queries|requests|writes|inserts)", 2.5),
        (r"connection pool(?:ing)?", 2.0), (r"tun(?:e|ed|ing)", 1.5), (r"zero[- ]copy", 3.0),
        (r"(?:avoid|skip|remove) (?:unnecessary|redundant|extra|needless) (?:\w+ )?(?:work|calls?|copies|copy|queries|allocations?|renders?|re-?renders?|requests?|lookups?)", 3.5),
        (r"memoi[sz](?:e|ed|ation)", 2.5), (r"precomput(?:e|ed|ing)", 2.5), (r"load time", 2.5),
        (r"(?:bundle|binary|image) size", 2.5), (r"vectori[sz](?:e|ed|ation)", 2.5), (r"parallel(?:i[sz]e|ism)?", 1.5),
    ],
    "reliability": [
        (r"monitor(?:s|ing)?", 2.5), (r"alert(?:s|ing)?", 2.5), (r"metrics?", 1.5), (r"observability", 3.0),
        (r"add(?:ed)? (?:more |better |structured )?logging", 3.0), (r"logging", 1.5), (r"tracing", 2.0),
        (r"health ?checks?", 3.5), (r"liveness|readiness|probes?", 2.5), (r"retr(?:y|ies|ying|ied)", 3.0),
        (r"back ?off", 3.0), (r"time ?outs?", 2.0), (r"circuit[- ]breakers?", 4.0), (r"fail ?over", 3.5),
        (r"fallbacks?", 1.5), (r"resilien(?:t|ce|cy)", 3.5), (r"graceful(?:ly)?", 2.0),
        (r"back ?ups?", 3.0), (r"disaster recovery|dr drill", 4.5), (r"flak(?:y|iness|es)", 4.0),
        (r"intermittent(?:ly)?", 2.5), (r"slos?|sla|error budget", 3.0), (r"uptime|availability", 2.5),
        (r"idempoten(?:t|cy|ce)", 2.5), (r"rate[- ]limit(?:s|ing|er|ed)?", 2.0), (r"throttl(?:e|es|ed|ing)", 2.0),
        (r"chaos", 2.5), (r"runbooks?", 3.5), (r"on-?call", 2.5), (r"pager(?:duty)?|opsgenie", 2.5),
        (r"sentry|datadog|prometheus|grafana|new relic|honeycomb|opentelemetry|otel", 2.5),
        (r"oom(?:s|killed)?|out of memory", 2.0), (r"self-?heal(?:ing)?", 3.0), (r"dead[- ]letter", 3.0),
        (r"stabili(?:ty|[sz]e|[sz]es|[sz]ed)", 2.5), (r"(?:reduce|reducing|cut) (?:alert )?noise", 3.0),
        (r"watchdog", 3.0), (r"heartbeats?", 2.5), (r"redundan(?:t|cy) (?:nodes?|replicas?|zones?|region)", 3.0),
        (r"replicas?", 1.0), (r"dashboards?", 1.0), (r"recover(?:y|s|ed)? from", 2.5), (r"reconnect(?:s|ing|ion)?", 2.5),
        (r"dlq", 3.0), (r"canary", 2.0), (r"load shedding|backpressure|back-pressure", 3.5), (r"keep-?alive", 2.0),
    ],
    "maintenance": [
        (r"authors|contributing(?:\.md)?|code[_ ]of[_ ]conduct(?:\.md)?|man ?pages?|logo|policy|governance|sponsors?", 3.0),
        (r"requirements|version matrix|matrix", 2.0), (r"(?:start|begin|open) (?:version|development of|dev cycle)", 3.0),
        (r"history", 1.0), (r"citation|funding", 2.5),
        (r"docs?|documentation|documented|document", 2.5), (r"readme", 3.5), (r"change ?log", 3.5),
        (r"(?:code )?comments?", 1.0), (r"typos?", 3.0), (r"spelling|grammar|wording|reword(?:ed)?", 3.0),
        (r"ci", 2.0), (r"github actions?|workflows?|travis|circleci|jenkins(?:file)?|gitlab-ci|buildkite|azure pipelines", 3.0),
        (r"pipelines?", 1.0), (r"build (?:script|system|config|scripts|files?|setup)", 3.0),
        (r"makefile|dockerfile|docker-compose|cmake(?:lists)?", 2.5),
        (r"lint(?:er|ers|ing|s)?|eslint|flake8|ruff|pylint|rubocop|clippy|prettier|black|isort|gofmt|pre-commit", 2.5),
        (r"(?:re)?format(?:ted|ting)?", 2.0), (r"tests?", 1.5), (r"unit tests?|integration tests?|e2e tests?|test cases?|test suite", 2.5),
        (r"add(?:ed|s)? (?:more |missing |a |an |unit |integration )?tests?", 3.5),
        (r"(?:test )?coverage", 2.5), (r"release notes", 3.5), (r"prepar(?:e|es|ing) (?:for )?(?:the )?(?:\w+ )?release", 3.5),
        (r"release v?\d+(?:\.\d+)*", 3.5), (r"(?:version bump|bump(?:ed)? (?:the )?version|bump to v?\d)", 4.0),
        (r"v\d+\.\d+\.\d+", 1.5), (r"configs?|configuration", 1.0), (r"housekeeping|chores?", 3.5),
        (r"gitignore|editorconfig|gitattributes|codeowners", 3.5), (r"licen[sc]e|copyright", 2.5),
        (r"maintenance", 3.0), (r"tooling", 2.0), (r"upkeep", 3.5), (r"minor (?:changes|fixes|tweaks|cleanup|updates?)", 2.5),
        (r"misc(?:ellaneous)?", 2.0), (r"tweak(?:s|ed)?", 1.5), (r"nits?", 1.5), (r"examples?", 1.0),
        (r"(?:renew|renewed|renewing) (?:\w+ )?(?:certificates?|certs?|domains?|licen[sc]es?)", 3.5),
        (r"cron ?jobs?", 1.0), (r"terraform|helm|ansible|puppet|chef", 1.5), (r"infra(?:structure)?", 1.0),
        (r"translations?|i18n|l10n|locali[sz]ation", 1.0), (r"fixtures?", 1.5), (r"snapshots?", 1.0),
        (r"mocks?", 1.0), (r"ci (?:config|job|jobs|pipeline|workflow)", 3.0), (r"version(?:s|ing)?", 0.5),
        (r"(?:add|update|fix)(?:ed|s)? (?:the )?(?:docstrings?|javadoc|jsdoc|comments)", 3.0), (r"docstrings?", 2.5),
    ],
    "tech_debt": [
        (r"remov(?:e|es|ed|ing) (?:the )?(?:\w+ ){0,3}(?:feature|support|option|flag|command|api)s?", 4.0),
        (r"trailing (?:white ?)?spaces?|whitespace", 3.0), (r"compiler warnings?", 3.0), (r"kill(?:s|ed)?", 1.0),
        (r"refactor(?:s|ed|ing|ings)?", 4.0), (r"clean(?:ed|s|ing)?[- ]?ups?|clean(?:ed|ing)? up", 3.0),
        (r"tid(?:y|ied|ies|ying)(?: up)?", 3.0), (r"tech(?:nical)?[- ]debt", 4.5), (r"dead code", 4.5),
        (r"unused", 3.0), (r"deprecat(?:e|ed|es|ing|ion|ions)", 2.5),
        (r"remov(?:e|es|ed|ing) (?:the )?(?:deprecated|legacy|old|obsolete|unused|dead|stale|outdated|redundant|unnecessary|duplicate)", 4.0),
        (r"legacy", 2.0), (r"obsolete", 2.5), (r"simplif(?:y|ies|ied|ying|ication)", 3.0),
        (r"renam(?:e|es|ed|ing)", 2.5), (r"restructur(?:e|es|ed|ing)", 3.0), (r"re-?organi[sz](?:e|es|ed|ing|ation)", 3.0),
        (r"extract(?:s|ed|ing)? (?:\w+ ){0,3}(?:into|to|method|function|class|module|component|helper|interface|hook|service)", 3.0),
        (r"mov(?:e|es|ed|ing) (?:\w+ ){1,4}(?:to|into) ", 1.5), (r"split(?:s|ting)? (?:\w+ ){0,4}into", 2.0),
        (r"(?:code )?duplicat(?:e|ed|ion)", 2.0), (r"de-?dup(?:e|licate|licated)?", 2.5), (r"consolidat(?:e|es|ed|ing|ion)", 2.0),
        (r"decoupl(?:e|es|ed|ing)", 3.0), (r"modulari[sz](?:e|es|ed|ing|ation)", 2.5),
        (r"type (?:hints|annotations)|typings?|mypy|strict mode", 2.0), (r"code style|coding style|style", 1.0),
        (r"readab(?:ility|le)", 2.5), (r"maintainab(?:ility|le)", 2.5), (r"todos?|fixmes?", 1.5),
        (r"replac(?:e|es|ed|ing) (?:\w+ ){1,3}with", 1.5), (r"use (?:\w+ ){1,3}instead of", 1.5),
        (r"polish(?:ed|ing)?", 1.0), (r"remov(?:e|es|ed|ing)", 1.0), (r"delet(?:e|es|ed|ing)", 1.0),
        (r"drop(?:s|ped|ping)? (?:support for|python|node|ruby|java|php|ie\d*)", 3.0), (r"get rid of", 3.0),
        (r"abstractions?", 1.5), (r"boilerplate", 2.5), (r"internal(?:s|ly)?", 0.5), (r"helpers?", 0.5),
        (r"reuse|re-use", 1.5), (r"cleaner", 2.5), (r"sort imports|imports", 1.5), (r"hack(?:s|y)?", 1.5),
        (r"rework(?:s|ed|ing)?", 2.0), (r"spaghetti", 3.0), (r"god (?:class|object)", 3.0),
        (r"migrat(?:e|es|ed|ing) (?:away )?from (?:the )?deprecated", 4.0), (r"(?:generic|common) (?:\w+ )?(?:helper|util)s?", 2.0),
    ],
    "feature": [
        (r"make (?:\w+ ){0,4}configurable", 4.5), (r"is now (?:an? )?(?:alias|supported|available|possible)", 3.5),
        (r"feat(?:ure)?s?", 2.5), (r"add(?:s|ed|ing)? (?:initial |basic |experimental |optional )?(?:support|ability|option|the ability)", 4.0),
        (r"support(?:s|ed|ing)? (?:for )?", 1.5), (r"allow(?:s|ed|ing)? (?:\w+ )?(?:users?|customers?|admins?|to|the)", 3.0),
        (r"as an? [\w ]{1,30}, ?i (?:want|need|would|can)", 5.0), (r"user stor(?:y|ies)", 3.0),
        (r"enabl(?:e|es|ed|ing) (?:\w+ )?(?:users?|customers?|to)", 2.5), (r"new", 2.0),
        (r"introduc(?:e|es|ed|ing)", 2.5), (r"implement(?:s|ed|ing|ation)?", 2.5),
        (r"initial (?:support|implementation|version|commit)", 3.5), (r"add(?:s|ed|ing)? (?:a|an|new|the) ", 2.0),
        (r"endpoints?", 1.5), (r"apis? for", 2.0), (r"(?:page|screen|dialog|button|modal|widget|tab|view|form|wizard|banner|tooltip|menu)s?", 1.0),
        (r"export(?:s|ing|ed)? (?:to |as |of )?", 1.5), (r"import(?:er|ing)? (?:from|of)", 1.5),
        (r"integrat(?:e|es|ed|ing|ion)s? with", 3.0), (r"lets? (?:users?|customers?|you|people)", 3.5),
        (r"expos(?:e|es|ed|ing)", 2.0), (r"provid(?:e|es|ed|ing)", 1.0), (r"options? (?:to|for)", 2.5),
        (r"can now", 3.5), (r"now (?:supports?|allows?|shows?|displays?|accepts?|handles?|lets?|returns?|includes?)", 3.0),
        (r"customi[sz](?:e|able|ation)", 2.0), (r"configurable", 2.0), (r"prototypes?|mvp|beta|experimental", 2.0),
        (r"launch(?:es|ed|ing)?", 2.0), (r"onboarding", 1.5), (r"notifications?", 1.0), (r"dark mode", 3.0),
        (r"filter(?:s|ing)? by", 2.5), (r"sort(?:ing)? by", 2.0), (r"feature flags?", 1.5), (r"enhancements?", 2.5),
        (r"improv(?:e|es|ed|ing|ement)s? (?:the )?(?:ux|ui|usability|user experience)", 2.5), (r"wizard", 1.5),
        (r"(?:new|additional) (?:command|flag|setting|report|field|column|format|language|provider|plugin|integration)s?", 3.0),
        (r"subcommand|--[a-z][\w-]+ (?:flag|option)", 3.0), (r"webhooks?", 1.0), (r"self-?serve", 2.5),
        (r"in-?app", 1.5), (r"i want to", 3.0), (r"would like to", 2.5), (r"ability to", 3.0),
        (r"request(?:ed)? feature|feature request", 3.5), (r"(?:display|show)(?:s|ed|ing)? (?:the |a |an )", 1.5),
    ],
    "project": [
        (r"migrat(?:e|es|ed|ing|ion) (?:\w+ ){0,3}(?:to|onto|off) (?!v?\d)", 3.5), (r"re-?writ(?:e|es|ing|ten)", 3.5),
        (r"re-?design(?:s|ed|ing)?", 4.0), (r"re-?architect(?:ure|ed|ing)?", 4.5), (r"re-?platform(?:ing|ed)?", 4.5),
        (r"overhaul(?:s|ed|ing)?", 4.0), (r"(?:new|next)[- ]gen(?:eration)?", 3.0), (r"v2|version 2", 2.0),
        (r"platforms?", 2.0), (r"initiatives?", 4.0), (r"epics?", 3.5), (r"phase (?:[1-4]|one|two|three|i|ii)", 3.5),
        (r"milestones?", 2.0), (r"roadmap", 2.5), (r"multi-?(?:tenant|tenancy|region|cloud)", 3.5), (r"mono-?repo", 3.0),
        (r"micro-?services?", 2.5), (r"new (?:service|platform|architecture|system|data (?:platform|pipeline|warehouse)|backend|frontend|stack|app)", 3.5),
        (r"(?:move|moving|moved) (?:\w+ ){0,3}to (?:kubernetes|k8s|aws|gcp|azure|the cloud|serverless)", 4.0),
        (r"cloud migration|data migration", 3.5), (r"architecture", 2.0), (r"from scratch", 3.5),
        (r"proof[- ]of[- ]concept|poc", 2.5), (r"roll(?:ing)?[- ]?out (?:the )?new", 3.0), (r"revamp(?:s|ed|ing)?", 4.0),
        (r"unif(?:y|ies|ied|ying) (?:\w+ ){0,2}(?:platform|pipeline|api|apis|stack|services)", 3.0),
        (r"replac(?:e|es|ed|ing) (?:\w+ ){0,3}with (?:a |an |the )?(?:new|in-house|our own)", 3.0),
        (r"design (?:doc|document)|rfc", 2.0), (r"sunset(?:ting)? (?:the )?(?:\w+ )?(?:system|platform|service)", 3.0),
        (r"cut ?over", 3.0), (r"strangler", 3.5), (r"(?:switch|switching|move|moving) (?:\w+ ){0,3}from \w+ to \w+", 2.0),
        (r"program(?:me)? (?:of work)?", 1.0), (r"end[- ]to[- ]end (?:platform|system|solution)", 2.5),
    ],
}

# First word of a subject (after ticket keys and conventional prefixes) -> (subcategory, weight)
LEADING_VERBS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(
        "fix fixes fixed fixing fixup correct corrects corrected repair repairs prevent prevents "
        "avoid avoids handle handles guard resolve resolves resolved bugfix patch patched "
        "workaround".split(),
        ("bug", 1.5),
    ),
    **dict.fromkeys(
        "add adds added adding implement implements implemented introduce introduces introduced "
        "support supports allow allows enable enables create creates new provide provides expose "
        "exposes display show shows let lets build builds initial integrate integrates "
        "feature".split(),
        ("feature", 1.5),
    ),
    **dict.fromkeys(
        "remove removes removed delete deletes deleted drop drops dropped clean cleans cleanup "
        "refactor refactors refactored rename renames renamed move moves moved extract extracts "
        "simplify simplifies reorganize reorganise split replace replaces replaced consolidate "
        "deprecate deprecates tidy unify dedupe rework reworked restructure inline "
        "decouple".split(),
        ("tech_debt", 1.5),
    ),
    **dict.fromkeys("bump bumps bumped upgrade upgrades upgraded".split(), ("dependency", 1.5)),
    **dict.fromkeys("update updates updated".split(), ("dependency", 0.5)),
    **dict.fromkeys(
        "document documents documented docs doc test tests testing release prepare "
        "format reformat lint typo typos".split(),
        ("maintenance", 1.5),
    ),
    **dict.fromkeys(
        "optimize optimise optimizes optimized speed speedup cache memoize reduce "
        "accelerate".split(),
        ("performance", 1.5),
    ),
    **dict.fromkeys("revert reverts reverted rollback hotfix".split(), ("incident", 2.0)),
    **dict.fromkeys("migrate migrates rewrite redesign overhaul revamp".split(), ("project", 1.0)),
    **dict.fromkeys("monitor retry harden".split(), ("reliability", 1.0)),
}

# Verbs that open an imperative subject. A subject that opens with one and has no
# known vocabulary is most often upkeep; one that opens with a noun names a capability.
COMMON_VERBS = frozenset(
    """use make set change adjust return keep ensure skip call pass check apply convert switch
    translate import sync start stop give try run get put free mark treat reset restore limit
    include exclude accept reject ignore require wrap unwrap merge load save read write send parse
    print log emit raise throw catch clear close open init disable enable turn tweak bring clarify
    explain mention note say teach tell ask wait sleep loop iterate walk cover verify validate
    normalize normalise strip trim escape quote unquote encode decode flush sort filter map reduce
    rewrite reword reuse restrict relax tighten loosen increase decrease bump lower raise shorten
    lengthen grow shrink revise amend align unify inline link unlink install uninstall build
    compile configure define declare register unregister scrub rotate block unblock lock unlock
    expose hide show protect guard deny permit grant revoke fetch pull push copy paste simplify
    upgrade downgrade pin unpin drop replace move rename delete remove cleanup tidy split join
    send post get handle""".split()
)

# Conventional-commit type -> subcategory. A type that names a KTLO kind decides the
# investment; the text may still pick a more specific KTLO subcategory.
CONVENTIONAL_TYPES: dict[str, str] = {
    **dict.fromkeys(["feat", "feature", "feats", "features", "new", "add"], "feature"),
    **dict.fromkeys(["fix", "fixes", "bugfix", "bug", "fixup", "bugs"], "bug"),
    **dict.fromkeys(["perf", "performance", "optimize", "optimization"], "performance"),
    **dict.fromkeys(["refactor", "refactoring", "cleanup", "clean", "style", "tidy", "debt"], "tech_debt"),
    **dict.fromkeys(
        ["chore", "build", "ci", "docs", "doc", "test", "tests", "release", "config", "infra",
         "tooling", "i18n", "l10n", "misc", "lint", "format", "meta", "maint", "maintenance"],
        "maintenance",
    ),  # fmt: skip
    **dict.fromkeys(["deps", "dep", "dependencies", "dependency", "upgrade", "bump"], "dependency"),
    **dict.fromkeys(["sec", "security", "vuln"], "security"),
    **dict.fromkeys(["revert", "hotfix", "rollback", "incident"], "incident"),
    **dict.fromkeys(["ops", "reliability", "monitoring", "sre", "observability"], "reliability"),
}

# Conventional-commit scopes that name the kind of work more precisely than the type.
CONVENTIONAL_SCOPES: dict[str, str] = {
    **dict.fromkeys(["deps", "deps-dev", "dependencies", "dependency", "dep", "lockfile"], "dependency"),
    **dict.fromkeys(["security", "sec", "vuln", "cve"], "security"),
    **dict.fromkeys(["perf", "performance"], "performance"),
    **dict.fromkeys(["ci", "docs", "release", "build", "lint"], "maintenance"),
    **dict.fromkeys(["monitoring", "alerts", "alerting", "observability", "flaky"], "reliability"),
}

# Labels, tags in brackets, branch prefixes and issue types -> subcategory.
# Keys are normalised: lower case, separators as single spaces, "type:"/"kind/" prefixes removed.
LABELS: dict[str, str] = {
    **dict.fromkeys(
        ["bug", "bugs", "bugfix", "fix", "defect", "regression", "crash", "bug report", "confirmed bug"],
        "bug",
    ),
    **dict.fromkeys(["security", "vulnerability", "cve", "security fix", "vuln"], "security"),
    **dict.fromkeys(
        ["dependencies", "dependency", "deps", "renovate", "dependabot", "dependency upgrade",
         "upgrade", "dependency update"],
        "dependency",
    ),  # fmt: skip
    **dict.fromkeys(["performance", "perf", "optimization", "optimisation", "slow"], "performance"),
    **dict.fromkeys(
        ["reliability", "flaky", "flaky test", "flaky tests", "monitoring", "observability",
         "alerting", "sre", "resilience", "stability"],
        "reliability",
    ),  # fmt: skip
    **dict.fromkeys(
        ["documentation", "docs", "doc", "chore", "ci", "build", "infra", "infrastructure",
         "maintenance", "tests", "test", "testing", "release", "tooling", "housekeeping"],
        "maintenance",
    ),  # fmt: skip
    **dict.fromkeys(
        ["tech debt", "techdebt", "technical debt", "refactor", "refactoring", "cleanup",
         "debt", "code quality", "deprecation"],
        "tech_debt",
    ),  # fmt: skip
    **dict.fromkeys(
        ["incident", "hotfix", "outage", "postmortem", "post mortem", "sev1", "sev2", "sev0",
         "production incident", "incident follow up", "rollback", "revert"],
        "incident",
    ),  # fmt: skip
    **dict.fromkeys(
        ["feature", "features", "enhancement", "feature request", "new feature", "story",
         "user story", "feat", "improvement", "new"],
        "feature",
    ),  # fmt: skip
    **dict.fromkeys(["epic", "project", "initiative"], "project"),
}

BOTS: dict[str, str] = {
    "dependabot": "dependency",
    "renovate": "dependency",
    "greenkeeper": "dependency",
    "depfu": "dependency",
    "pyup": "dependency",
    "scala-steward": "dependency",
    "snyk": "security",
    "whitesource": "dependency",
    "mend-bolt": "dependency",
    "pre-commit-ci": "maintenance",
    "github-actions": "maintenance",
    "semantic-release": "maintenance",
    "release-please": "maintenance",
    "allcontributors": "maintenance",
    "imgbot": "maintenance",
    "codecov": "maintenance",
    "weblate": "maintenance",
    "transifex": "maintenance",
    "crowdin": "maintenance",
}

# Gitmoji (as emoji or :code:) at the start of a subject -> subcategory.
GITMOJI: dict[str, str] = {
    **dict.fromkeys(["🐛", ":bug:", "🩹", ":adhesive_bandage:", "🥅", ":goal_net:"], "bug"),
    **dict.fromkeys(["🚑", "🚑️", ":ambulance:", "⏪", "⏪️", ":rewind:"], "incident"),
    **dict.fromkeys(["🔒", "🔒️", ":lock:", "🔐", ":closed_lock_with_key:", "🛂", ":passport_control:"], "security"),
    **dict.fromkeys(["⬆", "⬆️", ":arrow_up:", "⬇", "⬇️", ":arrow_down:", "📌", ":pushpin:", "➕", ":heavy_plus_sign:", "➖", ":heavy_minus_sign:"], "dependency"),
    **dict.fromkeys(["⚡", "⚡️", ":zap:"], "performance"),
    **dict.fromkeys(["🔊", ":loud_sound:", "📈", ":chart_with_upwards_trend:", "🩺", ":stethoscope:"], "reliability"),
    **dict.fromkeys(
        ["📝", ":memo:", "🌐", ":globe_with_meridians:", "✏", "✏️", ":pencil2:", "🔖", ":bookmark:",
         "👥", ":busts_in_silhouette:", "🔧", ":wrench:", "💚", ":green_heart:", "👷", ":construction_worker:",
         "✅", ":white_check_mark:", "🚨", ":rotating_light:", "📄", ":page_facing_up:", "🙈", ":see_no_evil:",
         "🔨", ":hammer:", "💬", ":speech_balloon:", "🍱", ":bento:", "📦", ":package:"],
        "maintenance",
    ),  # fmt: skip
    **dict.fromkeys(
        ["♻", "♻️", ":recycle:", "🔥", ":fire:", "🎨", ":art:", "⚰", "⚰️", ":coffin:", "🗑", "🗑️",
         ":wastebasket:", "🚚", ":truck:", "🏷", "🏷️", ":label:"],
        "tech_debt",
    ),  # fmt: skip
    **dict.fromkeys(["✨", ":sparkles:", "🎉", ":tada:", "💄", ":lipstick:", "🚸", ":children_crossing:"], "feature"),
    **dict.fromkeys(["🏗", "🏗️", ":building_construction:", "💥", ":boom:"], "project"),
}
