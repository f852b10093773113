<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<meta name="SiteName" content="衡阳市人民政府门户网站" />
<meta name="SiteDomain" content="www.hengyang.gov.cn" />
<meta name="SiteIDCode" content="4304000001" />
<title>站内搜索_衡阳市人民政府门户网站</title>
<link rel="stylesheet" type="text/css" href="/css/style.css" />
<script type="text/javascript" src="/js/common.js"></script>
</head>
<body>
<div class="top"><div class="w1200"><span>欢迎访问衡阳市人民政府门户网站！</span>
<a href="javascript:void(0);" id="wza">无障碍浏览</a><a href="/wap/index.html">手机版</a><a href="javascript:void(0);">繁體</a>
<a href="http://www.hunan.gov.cn/" target="_blank">湖南省人民政府</a></div></div>
<div class="header"><div class="w1200">
<div class="logo"><a href="/" style="color:#fff">衡阳市人民政府门户网站</a></div>
<div class="search"><form action="/search/search.jsp" method="get" target="_blank"><input type="text" name="q" placeholder="请输入关键字" /><input type="submit" value="搜索" /></form>
<a href="/search/advanced.html" style="color:#fff">高级搜索</a></div>
</div></div>
<div class="nav"><div class="w1200"><ul><li><a href="/">首页</a></li><li><a href="/zwdt/">政务动态</a></li><li><a href="/xxgk/">信息公开</a></li><li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/zjhy/">走进衡阳</a></li></ul></div></div>
<div class="w1200">
<div class="location">当前位置：<a href="/">首页</a> &gt; 站内搜索</div>
<p>搜索结果：共0条</p>
</div>
<div class="footer"><div class="w1200">
<p><a href="/wzdt/index.html">网站地图</a> | <a href="/lxwm/index.html">联系我们</a> | <a href="/sybz/index.html">使用帮助</a> | <a href="http://www.gov.cn/" target="_blank">中国政府网</a> | <a href="http://www.hunan.gov.cn/" target="_blank">湖南省人民政府</a></p>
<p>主办单位：衡阳市人民政府办公室&nbsp;&nbsp;承办单位：衡阳市电子政务服务中心&nbsp;&nbsp;联系电话：0734-8868000</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">湘ICP备05004249号</a>&nbsp;&nbsp;湘公网安备 43040702000016号&nbsp;&nbsp;网站标识码：4304000001</p>
<p>建议使用1366*768以上分辨率浏览本网站</p>
</div></div>
</body>
</html>
